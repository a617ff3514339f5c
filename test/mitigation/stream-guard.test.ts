import { describe, expect, it } from "vitest";
import { CodeHoldSegmenter, type Piece } from "../../src/mitigation/stream-guard.js";

/** Feeds text in pieces of `size` characters and returns every piece released, in order. */
function feed(text: string, size: number): Piece[] {
  const seg = new CodeHoldSegmenter();
  const out: Piece[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...seg.push(text.slice(i, i + size)));
  out.push(...seg.end());
  return out;
}

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

describe("CodeHoldSegmenter", () => {
  for (const size of [1, 3, 7, 1000]) {
    it(`releases every fenced block whole when fed ${size} characters at a time`, () => {
      const pieces = feed(ANSWER, size);
      expect(pieces.map((p) => p.text).join("")).toBe(ANSWER);
      const held = pieces.filter((p) => p.kind === "held");
      expect(held.map((p) => p.text)).toEqual([
        "```bash\npip install requests pyfakepkg-zzqx\n```\n",
        "```python\nimport requests\nprint(requests.get('http://x').text)\n```\n",
      ]);
      // No prose piece ever carries part of a code block.
      for (const p of pieces.filter((x) => x.kind === "prose")) expect(p.text).not.toContain("```");
    });
  }

  it("releases prose before a line ends, but not a word that may still grow", () => {
    const seg = new CodeHoldSegmenter();
    expect(seg.push("Hello wor")).toEqual([{ kind: "prose", text: "Hello " }]);
    expect(seg.push("ld and more")).toEqual([{ kind: "prose", text: "world and " }]);
  });

  it("holds an install command outside a fence until its line is complete", () => {
    const seg = new CodeHoldSegmenter();
    expect(seg.push("First run pip inst")).toEqual([{ kind: "prose", text: "First run " }]);
    expect(seg.push("all fakepkg")).toEqual([]);
    expect(seg.push(" now.\nDone")).toEqual([{ kind: "held", segment: "install", text: "pip install fakepkg now.\n" }]);
    expect(seg.end()).toEqual([{ kind: "prose", text: "Done" }]);
  });

  it("holds a line that may open a fence until it is complete", () => {
    const seg = new CodeHoldSegmenter();
    expect(seg.push("``")).toEqual([]);
    expect(seg.push("`js\nnpm i left-pad")).toEqual([]);
    expect(seg.push("\n```")).toEqual([]);
    expect(seg.end()).toEqual([{ kind: "held", segment: "fence", text: "```js\nnpm i left-pad\n```" }]);
  });

  it("releases an unclosed fence at the end of the stream as a held piece", () => {
    expect(feed("Text\n~~~~\npip install x\n~~~\nmore", 2)).toEqual([
      { kind: "prose", text: "Text\n" },
      { kind: "held", segment: "fence", text: "~~~~\npip install x\n~~~\nmore" },
    ]);
  });

  it("passes a plain answer without code through as prose", () => {
    const pieces = feed("requests, numpy, pandas", 4);
    expect(pieces.every((p) => p.kind === "prose")).toBe(true);
    expect(pieces.map((p) => p.text).join("")).toBe("requests, numpy, pandas");
  });
});
