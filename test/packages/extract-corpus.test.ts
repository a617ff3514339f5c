/**
 * Extraction precision and recall on the hand-labelled corpus (≥ 300 answers):
 * micro-averaged over (answer, ecosystem:package) pairs; both must be ≥ 0.97.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createPackageChecker } from "../../src/packages/index.js";
import { loadCorpus } from "./corpus.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
afterAll(() => checker.close());

describe("extraction on the labelled corpus", () => {
  const corpus = loadCorpus();

  it("has at least 300 labelled answers in Python and JavaScript", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    expect(corpus.filter((a) => a.ecosystem === "pypi").length).toBeGreaterThan(100);
    expect(corpus.filter((a) => a.ecosystem === "npm").length).toBeGreaterThan(100);
  });

  it("reaches precision and recall ≥ 0.97", () => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const misses: string[] = [];
    for (const a of corpus) {
      const got = new Set(checker.extract({ text: a.text, ecosystem: a.ecosystem }).map((p) => `${p.ecosystem}:${p.normalized}`));
      const want = new Set(a.expect);
      for (const g of got) if (want.has(g)) tp++; else { fp++; misses.push(`${a.id}: extra ${g}`); }
      for (const w of want) if (!got.has(w)) { fn++; misses.push(`${a.id}: missed ${w}`); }
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(`extraction on ${corpus.length} answers: precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)} (tp ${tp}, fp ${fp}, fn ${fn})`);
    if (misses.length) console.log(misses.join("\n"));
    expect(precision).toBeGreaterThanOrEqual(0.97);
    expect(recall).toBeGreaterThanOrEqual(0.97);
  });

  it("gets every hand-written tricky answer exactly right", () => {
    const wrong = corpus
      .filter((a) => a.file === "tricky.md")
      .map((a) => ({ id: a.id, want: [...a.expect].sort(), got: checker.extract({ text: a.text, ecosystem: a.ecosystem }).map((p) => `${p.ecosystem}:${p.normalized}`).sort() }))
      .filter((r) => JSON.stringify(r.want) !== JSON.stringify(r.got));
    expect(wrong).toEqual([]);
  });
});
