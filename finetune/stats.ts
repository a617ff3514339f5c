/** Hallucination rates with bootstrap confidence intervals over prompts (the unit the eval samples). */
import { rng } from "./prompts.js";

export interface PromptScore {
  names: number;
  bad: number;
}

export interface RateCI {
  rate: number;
  lo: number;
  hi: number;
  names: number;
  bad: number;
  promptsWithBad: number;
  prompts: number;
}

const ratio = (bad: number, names: number) => (names ? bad / names : 0);

function percentile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i]!;
}

/** Per-name rate (made-up names / names returned), 95% percentile bootstrap over prompts. */
export function rateWithCI(scores: PromptScore[], opts: { resamples?: number; seed?: number } = {}): RateCI {
  const n = scores.length;
  const names = scores.reduce((a, s) => a + s.names, 0);
  const bad = scores.reduce((a, s) => a + s.bad, 0);
  const rand = rng(opts.seed ?? 7);
  const samples: number[] = [];
  for (let b = 0; b < (opts.resamples ?? 2000); b++) {
    let nn = 0, bb = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[Math.floor(rand() * n)]!;
      nn += s.names;
      bb += s.bad;
    }
    samples.push(ratio(bb, nn));
  }
  samples.sort((a, b) => a - b);
  return { rate: ratio(bad, names), lo: percentile(samples, 0.025), hi: percentile(samples, 0.975), names, bad,
    promptsWithBad: scores.filter((s) => s.bad > 0).length, prompts: n };
}

/** Paired bootstrap of (adapter rate − base rate) on the same prompts. */
export function pairedDiffCI(base: PromptScore[], tuned: PromptScore[], opts: { resamples?: number; seed?: number } = {}) {
  const n = Math.min(base.length, tuned.length);
  const rand = rng(opts.seed ?? 11);
  const diffs: number[] = [];
  for (let b = 0; b < (opts.resamples ?? 2000); b++) {
    let bn = 0, bb = 0, tn = 0, tb = 0;
    for (let i = 0; i < n; i++) {
      const k = Math.floor(rand() * n);
      bn += base[k]!.names; bb += base[k]!.bad; tn += tuned[k]!.names; tb += tuned[k]!.bad;
    }
    diffs.push(ratio(tb, tn) - ratio(bb, bn));
  }
  diffs.sort((a, b) => a - b);
  const point = ratio(tuned.reduce((a, s) => a + s.bad, 0), tuned.reduce((a, s) => a + s.names, 0)) -
    ratio(base.reduce((a, s) => a + s.bad, 0), base.reduce((a, s) => a + s.names, 0));
  return { diff: point, lo: percentile(diffs, 0.025), hi: percentile(diffs, 0.975) };
}

/** Wilson 95% interval for a proportion (pass@1 with one sample per problem). */
export function wilson(k: number, n: number): { p: number; lo: number; hi: number } {
  if (!n) return { p: 0, lo: 0, hi: 0 };
  const z = 1.96, p = k / n;
  const den = 1 + (z * z) / n;
  const mid = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return { p, lo: Math.max(0, mid - half), hi: Math.min(1, mid + half) };
}
