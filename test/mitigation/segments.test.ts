import { describe, expect, it } from "vitest";
import { Segmenter, type Piece } from "../../src/mitigation/verify/segments.js";
import { createPackageChecker } from "../../src/packages/index.js";
import { loadCorpus } from "../packages/corpus.js";

/** Feeds text in pieces of `size` characters and returns every piece released, in order. */
function feed(text: string, size: number | "shred"): Piece[] {
  const seg = new Segmenter();
  const out: Piece[] = [];
  if (size === "shred") {
    for (let i = 0, n = 1; i < text.length; i += n, n = (n % 3) + 1) out.push(...seg.push(text.slice(i, i + n)));
  } else for (let i = 0; i < text.length; i += size) out.push(...seg.push(text.slice(i, i + size)));
  out.push(...seg.end());
  return out;
}

const strip = (pieces: Piece[]) => pieces.map((p) => (p.kind === "held" ? { kind: p.kind, segment: p.segment, text: p.text } : p));

const ANSWER = [
  "Here is how to do it.\n",
  "```bash\n",
  "pip install requests pyfakepkg-zzqx\n",
  "```\n",
  "\n",
  "Then:\n",
  "```python\n",
  "import requests\n",
  "print(requests.get('http://x').text)\n",
  "```\n",
  "Run it with python.",
].join("");

describe("Segmenter", () => {
  for (const size of [1, 3, 7, 1000] as const) {
    it(`releases every fenced block whole when fed ${size} characters at a time`, () => {
      const pieces = feed(ANSWER, size);
      expect(pieces.map((p) => p.text).join("")).toBe(ANSWER);
      const held = pieces.filter((p) => p.kind === "held");
      expect(held.map((p) => p.text)).toEqual([
        "```bash\npip install requests pyfakepkg-zzqx\n```\n",
        "```python\nimport requests\nprint(requests.get('http://x').text)\n```\n",
      ]);
      // The line before a fence travels with it: it may name the file ("Create requirements.txt:").
      expect(held.map((p) => (p.kind === "held" ? p.context : ""))).toEqual(["Here is how to do it.\n", "Then:\n"]);
      for (const p of pieces.filter((x) => x.kind === "prose")) expect(p.text).not.toContain("```");
    });
  }

  it("releases prose before a line ends, but not a word that may still grow", () => {
    const seg = new Segmenter();
    expect(seg.push("Hello wor")).toEqual([{ kind: "prose", text: "Hello " }]);
    expect(seg.push("ld and more")).toEqual([{ kind: "prose", text: "world and " }]);
  });

  it("holds an install command outside a fence until its line is complete", () => {
    const seg = new Segmenter();
    expect(seg.push("First run pip inst")).toEqual([{ kind: "prose", text: "First run " }]);
    expect(seg.push("all fakepkg")).toEqual([]);
    expect(strip(seg.push(" now.\nDone"))).toEqual([{ kind: "held", segment: "install", text: "pip install fakepkg now.\n" }]);
    expect(seg.end()).toEqual([{ kind: "prose", text: "Done" }]);
  });

  it("holds a line that may open a fence until it is complete", () => {
    const seg = new Segmenter();
    expect(seg.push("``")).toEqual([]);
    expect(seg.push("`js\nnpm i left-pad")).toEqual([]);
    expect(seg.push("\n```")).toEqual([]);
    expect(strip(seg.end())).toEqual([{ kind: "held", segment: "fence", text: "```js\nnpm i left-pad\n```" }]);
  });

  it("releases an unclosed fence at the end of the stream as a held piece", () => {
    expect(strip(feed("Text\n~~~~\npip install x\n~~~\nmore", 2))).toEqual([
      { kind: "prose", text: "Text\n" },
      { kind: "held", segment: "fence", text: "~~~~\npip install x\n~~~\nmore" },
    ]);
  });

  it("holds a bare list answer whole, and lets it go as prose once a line is not a list item", () => {
    expect(strip(feed("requests, numpy, fakepkg-zzqx", 4))).toEqual([{ kind: "held", segment: "list", text: "requests, numpy, fakepkg-zzqx" }]);
    expect(strip(feed("- requests: HTTP\n- numpy\n", 3))).toEqual([{ kind: "held", segment: "list", text: "- requests: HTTP\n- numpy\n" }]);
    const mixed = feed("requests\nnumpy\nThese two cover it.", 3);
    expect(mixed.every((p) => p.kind === "prose")).toBe(true);
    expect(mixed.map((p) => p.text).join("")).toBe("requests\nnumpy\nThese two cover it.");
  });

  it("holds code lines of an answer that has no fence, and stops once a fence opens", () => {
    const pieces = strip(feed("import fakepkg\nfakepkg.run()\n```py\nimport x\n```\nimport y\n", 2));
    expect(pieces[0]).toEqual({ kind: "held", segment: "code", text: "import fakepkg\n" });
    expect(pieces.find((p) => p.kind === "held" && p.segment === "fence")?.text).toBe("```py\nimport x\n```\n");
    // After a fence, prose is prose (the extractor reads only installs there).
    const after = pieces.slice(pieces.findIndex((p) => p.kind === "held" && p.segment === "fence") + 1);
    expect(after.every((p) => p.kind === "prose")).toBe(true);
    expect(after.map((p) => p.text).join("")).toBe("import y\n");
  });

  it("costs linear time on a stream without newlines or whitespace", () => {
    const chunk = "x".repeat(1000);
    const t = (n: number) => {
      const seg = new Segmenter();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) seg.push(chunk);
      seg.end();
      return performance.now() - t0;
    };
    t(200); // warm up
    const small = t(2_000);
    const large = t(8_000);
    // Quadratic work would make 4× the input cost ~16×; linear stays near 4×.
    expect(large / small).toBeLessThan(8);
  });
});

/**
 * The property block mode rests on: whatever the package extractor reads from a whole
 * answer lies inside a held piece, however the stream is cut. Checked on every answer of
 * the labelled corpus (test/fixtures/answers).
 */
describe("Segmenter holds every package the extractor finds", () => {
  const checker = createPackageChecker({ watchlist: "memory" });
  const corpus = loadCorpus();
  for (const size of [1, 5, "shred"] as const) {
    it(`on ${corpus.length} corpus answers, fed ${size} characters at a time`, () => {
      const misses: string[] = [];
      for (const answer of corpus) {
        const held = heldByLine(feed(answer.text, size));
        for (const expectList of [false, true]) {
          for (const p of checker.extract({ text: answer.text, ecosystem: answer.ecosystem, expectList })) {
            const line = (held.get(p.line) ?? "").toLowerCase();
            // `npm create vite` runs the package create-vite.
            const needle = (p.module ?? p.name).toLowerCase().replace(/^create-/, "");
            if (!line.includes(needle)) misses.push(`${answer.id}: ${p.name} (line ${p.line}, ${p.source})`);
          }
        }
      }
      expect(misses).toEqual([]);
    });
  }
});

/** The held text of each 1-based line of the answer. */
function heldByLine(pieces: Piece[]): Map<number, string> {
  const out = new Map<number, string>();
  let line = 1;
  for (const p of pieces) {
    const parts = p.text.split("\n");
    parts.forEach((t, i) => {
      if (i > 0) line++;
      if (p.kind === "held") out.set(line, (out.get(line) ?? "") + t);
    });
  }
  return out;
}
