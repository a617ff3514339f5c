/**
 * Words for the lexical index: NFKC, lower case, split on anything that is not a
 * letter or digit, English stop words out, British spellings made American ("visualise"
 * → visualize, `spelling.ts`), Porter stems (`stemmer`, the classic algorithm) so that
 * "plots" meets "plotting" and "scraping" meets "scrape".
 */
import { stemmer } from "stemmer";
import { american } from "./spelling.js";

// Function words, and words every coding request or package summary carries, which
// would otherwise match everything ("Generate Python code that …", "A library for …").
// The second group ("whenever", "inside", "every", "like", "want", "need", "instead") are words
// of how people ask, which match packages named by them (`whenever`, `inside`, `like`).
const STOP = new Set(
  `a an the and or but if of to for in on at by with from as into onto via per than then so such
  is are was were be been being am do does did done doing have has had having can could will would
  shall should may might must it its this that these those there here what which who whom whose
  when where why how all any both each few more most other some no nor not only own same too very
  i me my we our you your he she they them their his her us also just about over under again
  further once up down out off above below between through during before after while because
  until against whenever inside within whether however every everything like want need let lets
  instead lot lots bunch thing things something anything way ways able`.split(/\s+/),
);

/** Lower-cased words (letters and digits), in order, stop words kept. */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const stems = new Map<string, string>();

/** Porter stem of the American spelling, cached: the index stems millions of words at build time. */
export function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = /^\p{N}+$/u.test(word) || word.length <= 3 ? word : stemmer(american(word));
    if (stems.size < 500_000) stems.set(word, s);
  }
  return s;
}

/** Index terms of a text: words without stop words, stemmed. */
export function terms(text: string): string[] {
  return words(text).filter((w) => !STOP.has(w)).map(stem);
}

// Ecosystem prefixes glued to a word in package names: pyyaml, pytest, eslint, ioredis, jsdom, nodemailer.
const NAME_PREFIX = /^(python|py(?!thon)|node|js|es|io|ts|lib(?!rar))(?=[a-z]{3,}$)/;

/** Splits a glued word into words, or says it cannot. */
export type Splitter = (word: string) => string[] | undefined;

// Two-letter words a glued name may hold ("xmltodict", "reactjs" is prefix/suffix-free already).
const SHORT_PIECES = new Set(["to", "of", "db", "ui", "qr", "io", "js"]);

/**
 * Splits glued words of package names into words that the ecosystem's summaries use
 * (`vocabulary`: word → how many summaries have it): "xmltodict" → xml, to, dict;
 * "serialport" → serial, port; "technicalindicators" → technical, indicators. Fewest pieces
 * wins, then the most common ones; pieces are ≥ 3 letters (or a known two-letter word) and in
 * at least `minCount` summaries, so "pandas" or "cheerio" stay whole.
 */
export function wordSplitter(vocabulary: ReadonlyMap<string, number>, minCount = 5): Splitter {
  const ok = (w: string): boolean => (w.length >= 3 && (vocabulary.get(w) ?? 0) >= minCount) || SHORT_PIECES.has(w);
  return (word) => {
    if (word.length < 6 || !/^[a-z]+$/.test(word)) return undefined;
    // best[i]: the best split of word[0, i) as [pieces, Σ log count], or undefined.
    const best: ([string[], number] | undefined)[] = [[[], 0]];
    for (let i = 1; i <= word.length; i++) {
      for (let j = Math.max(0, i - 20); j <= i - 2; j++) {
        const prev = best[j];
        const piece = word.slice(j, i);
        if (!prev || !ok(piece)) continue;
        const cand: [string[], number] = [[...prev[0], piece], prev[1] + Math.log(1 + (vocabulary.get(piece) ?? 0))];
        const cur = best[i];
        if (!cur || cand[0].length < cur[0].length || (cand[0].length === cur[0].length && cand[1] > cur[1])) best[i] = cand;
      }
    }
    const split = best[word.length]?.[0];
    return split && split.length >= 2 ? split : undefined;
  };
}

/**
 * The words of a package name, stemmed, without its scope: each part without a glued
 * ecosystem prefix ("pyyaml" → yaml), split when glued ("xmltodict" → xml, dict), stop words
 * out. What the reranker compares with the task's words.
 */
export function nameWords(name: string, split?: Splitter): string[] {
  return words(name.replace(/^@[^/]+\//, "")).flatMap((p) => {
    const bare = p.replace(NAME_PREFIX, "");
    return (split?.(bare) ?? [bare]).filter((w) => !STOP.has(w)).map(stem);
  });
}

/**
 * Terms of a package name: its parts ("scikit-learn" → scikit, learn; "@babel/core" →
 * babel, core), each part also without a glued ecosystem prefix ("pyyaml" → yaml,
 * "eslint" → lint) and split when glued ("serialport" → serial, port), and the whole name
 * without separators ("scikitlearn", "socketio"), so a request that writes the name either
 * way, or names the thing it is for, finds it.
 */
export function nameTerms(name: string, split?: Splitter): string[] {
  const parts = words(name.replace(/^@/, ""));
  const joined = parts.join("");
  const out = parts.map(stem);
  for (const p of parts) {
    const bare = p.replace(NAME_PREFIX, "");
    if (bare !== p) out.push(stem(bare));
    for (const piece of split?.(bare) ?? []) if (!STOP.has(piece)) out.push(stem(piece));
  }
  if (parts.length > 1 && joined.length > 2) out.push(joined);
  return out;
}
