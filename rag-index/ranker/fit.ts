/**
 * Fitting the reranker: a linear scorer trained listwise (the softmax over one task's
 * candidates should put its mass on the good answers: loss −log Σ_good p), full batch, Adam,
 * L2, on standardised features, from zero weights, so the same data always gives the same
 * model. Small on purpose: a few hundred labelled tasks support a few dozen weights.
 */
export interface TrainingList {
  /** One feature row per candidate. */
  rows: number[][];
  /** Whether each candidate is a good answer. */
  good: boolean[];
}

export interface FitOptions {
  l2: number;
  epochs: number;
  learningRate: number;
}

export interface LinearModel {
  mean: number[];
  scale: number[];
  weights: number[];
}

function standardisation(lists: TrainingList[], dim: number): { mean: number[]; scale: number[] } {
  const mean = new Array<number>(dim).fill(0);
  const sq = new Array<number>(dim).fill(0);
  let n = 0;
  for (const l of lists) {
    for (const r of l.rows) {
      n += 1;
      for (let j = 0; j < dim; j++) {
        mean[j]! += r[j]!;
        sq[j]! += r[j]! * r[j]!;
      }
    }
  }
  const m = mean.map((s) => s / Math.max(1, n));
  // A constant feature gets scale 1 (and so a zero column): it cannot rank anything.
  const scale = sq.map((s, j) => Math.sqrt(Math.max(0, s / Math.max(1, n) - m[j]! ** 2)) || 1);
  return { mean: m, scale };
}

/** Gradient of the mean listwise loss over the lists (a list without a good answer teaches nothing). */
function gradient(lists: number[][][], good: boolean[][], w: number[]): number[] {
  const dim = w.length;
  const g = new Array<number>(dim).fill(0);
  lists.forEach((rows, li) => {
    const s = rows.map((r) => r.reduce((a, v, j) => a + v * w[j]!, 0));
    const mx = Math.max(...s);
    const e = s.map((x) => Math.exp(x - mx));
    const all = e.reduce((a, b) => a + b, 0);
    const rel = e.reduce((a, b, i) => a + (good[li]![i] ? b : 0), 0);
    rows.forEach((r, i) => {
      const coef = e[i]! / all - (good[li]![i] ? e[i]! / rel : 0);
      if (coef !== 0) for (let j = 0; j < dim; j++) g[j]! += coef * r[j]!;
    });
  });
  return g.map((x) => x / Math.max(1, lists.length));
}

export function fitLinear(lists: TrainingList[], opts: FitOptions): LinearModel {
  const usable = lists.filter((l) => l.rows.length > 0 && l.good.some(Boolean));
  if (usable.length === 0) throw new Error("no training list has a good answer among its candidates");
  const dim = usable[0]!.rows[0]!.length;
  const { mean, scale } = standardisation(usable, dim);
  const z = usable.map((l) => l.rows.map((r) => r.map((v, j) => (v - mean[j]!) / scale[j]!)));
  const good = usable.map((l) => l.good);
  const w = new Array<number>(dim).fill(0);
  const m = new Array<number>(dim).fill(0);
  const v = new Array<number>(dim).fill(0);
  const [b1, b2] = [0.9, 0.999];
  for (let t = 1; t <= opts.epochs; t++) {
    const g = gradient(z, good, w);
    for (let j = 0; j < dim; j++) {
      const gj = g[j]! + opts.l2 * w[j]!;
      m[j] = b1 * m[j]! + (1 - b1) * gj;
      v[j] = b2 * v[j]! + (1 - b2) * gj * gj;
      w[j]! -= (opts.learningRate * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + 1e-8);
    }
  }
  return { mean, scale, weights: w };
}
