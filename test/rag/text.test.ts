/**
 * The lexical index's words: terms (stop words out, Porter stems), package-name terms, the
 * glued-name splitter, and the name words the reranker compares with a task.
 */
import { describe, expect, it } from "vitest";
import { nameTerms, nameWords, terms, wordSplitter } from "../../src/rag/text.js";

// How many summaries have each word: what the splitter may cut a glued name into.
const vocabulary = new Map<string, number>([
  ["xml", 40], ["dict", 12], ["serial", 9], ["port", 30], ["technical", 6], ["indicators", 7],
  ["yaml", 25], ["date", 50], ["util", 20], ["pan", 2], ["das", 1], ["note", 8], ["book", 9], ["notebook", 5],
]);
const split = wordSplitter(vocabulary);

describe("terms", () => {
  it("drops stop words and request words, stems the rest", () => {
    expect(terms("Plotting the histograms of a column")).toEqual(["plot", "histogram", "column"]);
    expect(terms("scraping and scrapes")).toEqual(["scrape", "scrape"]);
  });

  it("keeps numbers and short words unstemmed, folds width and case", () => {
    expect(terms("HTTP/2 over ＴＬＳ 1.3")).toEqual(["http", "2", "tls", "1", "3"]);
  });

  it("drops the words of how people ask, which name packages of their own", () => {
    expect(terms("Restart my script whenever I edit a file inside the project, like nodemon")).toEqual(["restart", "script", "edit", "file", "project", "nodemon"]);
  });

  it("gives British and American spellings the same terms", () => {
    const pairs = [
      ["Visualise the data", "Visualize the data"], ["data visualisation", "data visualization"],
      ["analyse and analysed", "analyze and analyzed"], ["normalising tokeniser", "normalizing tokenizer"],
      ["colourful colours", "colorful colors"], ["centred in the centre", "centered in the center"],
      ["licence dialogue", "license dialog"], ["grey favourite programme", "gray favorite program"],
    ];
    for (const [british, us] of pairs) expect(terms(british!)).toEqual(terms(us!));
    // Words that only look like -ise or -our words keep apart from their neighbours.
    expect(terms("rise raise noise four hour tour")).toEqual(["rise", "rais", "nois", "four", "hour", "tour"]);
    expect(terms("promise")).toEqual(terms("promising"));
  });
});

describe("wordSplitter", () => {
  it("splits glued names into words the summaries use", () => {
    expect(split("xmltodict")).toEqual(["xml", "to", "dict"]);
    expect(split("serialport")).toEqual(["serial", "port"]);
    expect(split("technicalindicators")).toEqual(["technical", "indicators"]);
  });

  it("leaves a word whole when its pieces are rare, short or not letters", () => {
    expect(split("pandas")).toBeUndefined(); // "pan" and "das" are in fewer than 5 summaries
    expect(split("yaml")).toBeUndefined(); // under 6 letters
    expect(split("xml2dict")).toBeUndefined();
    expect(split("zzqxwobble")).toBeUndefined();
  });

  it("prefers fewest pieces: a word the summaries use whole is not split", () => {
    expect(split("notebook")).toBeUndefined();
    expect(wordSplitter(new Map([["note", 8], ["book", 9]]))("notebook")).toEqual(["note", "book"]);
  });

  it("honours minCount", () => {
    expect(wordSplitter(vocabulary, 10)("serialport")).toBeUndefined();
  });
});

describe("nameWords", () => {
  it("drops the scope and a glued ecosystem prefix, splits glued words, stems", () => {
    expect(nameWords("pyyaml", split)).toEqual(["yaml"]);
    expect(nameWords("@types/serialport", split)).toEqual(["serial", "port"]);
    expect(nameWords("python-dateutil", split)).toEqual(["python", "date", "util"]);
    expect(nameWords("python-dateutil")).toEqual(["python", "dateutil"]);
    expect(nameWords("xmltodict", split)).toEqual(["xml", "dict"]); // "to" is a stop word
    expect(nameWords("technicalindicators")).toEqual(["technicalind"]); // no splitter: one word, stemmed
  });
});

describe("nameTerms", () => {
  it("has the parts, the name without a glued prefix, the split pieces and the joined name", () => {
    expect(nameTerms("scikit-learn")).toEqual(["scikit", "learn", "scikitlearn"]);
    expect(nameTerms("pyyaml")).toEqual(["pyyaml", "yaml"]);
    expect(nameTerms("@babel/core")).toEqual(["babel", "core", "babelcore"]);
    expect(nameTerms("serialport", split)).toEqual(["serialport", "serial", "port"]);
    expect(nameTerms("serialport")).toEqual(["serialport"]);
  });
});
