/** Small, dependency-free statistics: seeded RNG, clustered bootstrap, pass@k, histograms. */

/** mulberry32: tiny seeded PRNG, so samples and bootstrap intervals are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded Fisher–Yates sample of `n` items (all when n ≥ length), keeping the original order. */
export function sampleSeeded<T>(items: T[], n: number | undefined, seed: number): T[] {
  if (n === undefined || n >= items.length) return items.slice();
  const idx = items.map((_, i) => i);
  const r = rng(seed);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/** A cluster (one prompt) contributes `num` hallucinated packages out of `den`. */
export interface Cluster {
  num: number;
  den: number;
}

export interface RateCI {
  rate: number;
  lo: number;
  hi: number;
  num: number;
  den: number;
  clusters: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Ratio-of-sums rate with a 95 % percentile bootstrap over clusters: packages from one
 * prompt are correlated (repeats, three heuristics), so prompts are resampled whole.
 */
export function clusteredBootstrap(clusters: Cluster[], options: { resamples?: number; seed?: number } = {}): RateCI {
  const num = clusters.reduce((s, c) => s + c.num, 0);
  const den = clusters.reduce((s, c) => s + c.den, 0);
  const rate = den > 0 ? num / den : NaN;
  const B = options.resamples ?? 1000;
  const r = rng(options.seed ?? 1);
  const stats: number[] = [];
  const n = clusters.length;
  for (let b = 0; b < B && n > 0; b++) {
    let sn = 0;
    let sd = 0;
    for (let i = 0; i < n; i++) {
      const c = clusters[Math.floor(r() * n)]!;
      sn += c.num;
      sd += c.den;
    }
    if (sd > 0) stats.push(sn / sd);
  }
  stats.sort((a, b) => a - b);
  return { rate, lo: quantile(stats, 0.025), hi: quantile(stats, 0.975), num, den, clusters: n };
}

/** Binomial coefficient ratio form of the HumanEval paper's unbiased estimator: 1 − C(n−c,k)/C(n,k). */
export function passAtK(n: number, c: number, k: number): number {
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** Counts of integer values, as an array indexed by value (0..max). */
export function histogram(values: number[], maxBucket?: number): number[] {
  const max = maxBucket ?? values.reduce((m, v) => Math.max(m, v), 0);
  const out = new Array<number>(max + 1).fill(0);
  for (const v of values) out[Math.min(v, max)]! += 1;
  return out;
}
