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

  function score(answers: typeof corpus): { precision: number; recall: number; tp: number; fp: number; fn: number; misses: string[] } {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const misses: string[] = [];
    for (const a of answers) {
      const got = new Set(checker.extract({ text: a.text, ecosystem: a.ecosystem }).map((p) => `${p.ecosystem}:${p.normalized}`));
      const want = new Set(a.expect);
      for (const g of got) if (want.has(g)) tp++; else { fp++; misses.push(`${a.id}: extra ${g}`); }
      for (const w of want) if (!got.has(w)) { fn++; misses.push(`${a.id}: missed ${w}`); }
    }
    return { precision: tp / (tp + fp), recall: tp / (tp + fn), tp, fp, fn, misses };
  }

  it("reaches precision and recall ≥ 0.97", () => {
    const all = score(corpus);
    const fmt = (n: string, r: ReturnType<typeof score>, k: number): string =>
      `${n}: ${k} answers, precision ${r.precision.toFixed(4)}, recall ${r.recall.toFixed(4)} (tp ${r.tp}, fp ${r.fp}, fn ${r.fn})`;
    const files = [...new Set(corpus.map((a) => a.file))].sort();
    console.log([fmt("extraction, all", all, corpus.length), ...files.map((f) => fmt(`  ${f}`, score(corpus.filter((a) => a.file === f)), corpus.filter((a) => a.file === f).length))].join("\n"));
    if (all.misses.length) console.log(all.misses.join("\n"));
    expect(all.precision).toBeGreaterThanOrEqual(0.97);
    expect(all.recall).toBeGreaterThanOrEqual(0.97);
  });

  it("gets every hand-written tricky answer exactly right", () => {
    const wrong = corpus
      .filter((a) => a.file === "tricky.md")
      .map((a) => ({ id: a.id, want: [...a.expect].sort(), got: checker.extract({ text: a.text, ecosystem: a.ecosystem }).map((p) => `${p.ecosystem}:${p.normalized}`).sort() }))
      .filter((r) => JSON.stringify(r.want) !== JSON.stringify(r.got));
    expect(wrong).toEqual([]);
  });
});
