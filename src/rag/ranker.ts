/**
 * Second stage of full-text retrieval: a linear scorer, learned on the dev split of the task
 * set (`rag-index/ranker/train.ts`), re-orders the first stage's candidates (BM25F + prior)
 * from features of each (task, package) pair: the BM25F score and each field's own BM25, how
 * much of the task the package matches, its popularity, how its name relates to the task's
 * words, and what kind of package it is. Hand-set weights traded these off one at a time; a
 * listwise model trades them off together (docs/BENCHMARKS.md has the ablation).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Ecosystem } from "../packages/types.js";
import { FIELDS, type LexicalHit, type LexicalIndex } from "./lexical.js";

/** What a feature sees: the candidate, the task's index terms, the candidate's first-stage rank and its list. */
export interface FeatureInput {
  hit: LexicalHit;
  query: ReadonlySet<string>;
  rank: number;
  list: ListStats;
}

/**
 * The best values among one query's candidates. A linear score compares candidates of the same
 * query, but raw BM25 and coverage also vary from query to query (a long task matches less of
 * itself); values relative to the list's best say "the best match here" whatever the query.
 */
export interface ListStats {
  bm25: number;
  coverage: number;
  popularity: number;
}

export function listStats(hits: readonly LexicalHit[]): ListStats {
  const best = { bm25: 0, coverage: 0, popularity: 0 };
  for (const h of hits) {
    best.bm25 = Math.max(best.bm25, h.bm25);
    best.coverage = Math.max(best.coverage, h.coverage);
    best.popularity = Math.max(best.popularity, h.doc.popularity);
  }
  return best;
}

const share = (x: number, best: number): number => (best > 0 ? x / best : 0);

function nameMatch(x: FeatureInput): { all: boolean; any: boolean; share: number } {
  const parts = x.hit.nameWords;
  const hit = parts.filter((p) => x.query.has(p)).length;
  return { all: parts.length > 0 && hit === parts.length, any: hit > 0, share: parts.length ? hit / parts.length : 0 };
}

const wordCount = (s: string): number => (s.match(/\S+/g) ?? []).length;
// Prebuilt per-platform binaries of a native package (`@esbuild/linux-x64`): never what a task needs.
const PLATFORM = /(linux|darwin|win32|windows|android|freebsd|macos)-(x64|arm64|ia32|arm|x86)/;

/** Feature name → value; the model file names the features it was trained on, in order. */
export const FEATURES: Record<string, (x: FeatureInput) => number> = {
  bm25f: (x) => x.hit.bm25,
  popularity: (x) => x.hit.doc.popularity,
  coverage: (x) => x.hit.coverage,
  ...Object.fromEntries(FIELDS.map((f, i) => [`bm25_${f}`, (x: FeatureInput) => x.hit.fieldScores[i] ?? 0])),
  nameAll: (x) => Number(nameMatch(x).all),
  nameShare: (x) => nameMatch(x).share,
  nameAny: (x) => Number(nameMatch(x).any),
  typesPackage: (x) => Number(x.hit.doc.package.startsWith("@types/")),
  platformBinary: (x) => Number(PLATFORM.test(x.hit.doc.package)),
  scoped: (x) => Number(x.hit.doc.package.startsWith("@")),
  // Anchor keywords are capped at 30 words × 3: how much other packages say about this one.
  anchorText: (x) => Math.log1p(wordCount(x.hit.doc.fields.keywords)) / Math.log(91),
  hasTasks: (x) => Number(x.hit.doc.fields.questions.length > 0),
  summaryLength: (x) => Math.log1p(wordCount(x.hit.doc.fields.summary)) / 4,
  firstStageRank: (x) => 1 / Math.log2(x.rank + 2),
  popularitySquared: (x) => x.hit.doc.popularity ** 2,
  coverageTimesPopularity: (x) => x.hit.coverage * x.hit.doc.popularity,
  rarestTerm: (x) => Number(hasRarest(x.hit)),
  rareCoverage: (x) => rareCoverage(x.hit),
  bm25fOfBest: (x) => share(x.hit.bm25, x.list.bm25),
  coverageOfBest: (x) => share(x.hit.coverage, x.list.coverage),
  popularityOfBest: (x) => share(x.hit.doc.popularity, x.list.popularity),
};

/** Whether the document has the query's most specific term (highest IDF among terms the ecosystem knows). */
function hasRarest(hit: LexicalHit): boolean {
  const { idf, known } = hit.query;
  let best = -1;
  for (let i = 0; i < Math.min(32, idf.length); i++) if (known[i] && (best < 0 || idf[i]! > idf[best]!)) best = i;
  return best >= 0 && (hit.matched & (1 << best)) !== 0;
}

/** Coverage with IDF² weights: the rare words of a task count for more than its common ones. */
function rareCoverage(hit: LexicalHit): number {
  const { idf, known } = hit.query;
  let all = 0;
  let got = 0;
  for (let i = 0; i < Math.min(32, idf.length); i++) {
    if (!known[i]) continue;
    all += idf[i]! ** 2;
    if (hit.matched & (1 << i)) got += idf[i]! ** 2;
  }
  return all > 0 ? got / all : 0;
}

export const RankerModelSchema = z.object({
  version: z.literal(1),
  features: z.array(z.string().refine((f) => f in FEATURES, "unknown feature")).min(1),
  /** Standardisation: (value − mean) / scale before the weights apply. */
  mean: z.array(z.number()),
  scale: z.array(z.number().positive()),
  weights: z.array(z.number()),
  /** How the model was made and what cross-validation measured (informational). */
  trained: z.record(z.string(), z.unknown()).default({}),
}).refine((m) => m.mean.length === m.features.length && m.scale.length === m.features.length && m.weights.length === m.features.length, "mean, scale and weights need one value per feature");
export type RankerModel = z.infer<typeof RankerModelSchema>;

export function loadRanker(file: string): RankerModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read the RAG ranker model ${file}: ${(err as Error).message}`);
  }
  const parsed = RankerModelSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid RAG ranker model ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/** The feature vector of every candidate (in first-stage order), by the given feature names. */
export function featureRows(hits: readonly LexicalHit[], query: ReadonlySet<string>, names: readonly string[]): number[][] {
  const fns = names.map((n) => FEATURES[n]!);
  const list = listStats(hits);
  return hits.map((hit, rank) => fns.map((fn) => fn({ hit, query, rank, list })));
}

export function linearScore(model: Pick<RankerModel, "mean" | "scale" | "weights">, row: readonly number[]): number {
  let s = 0;
  for (let j = 0; j < row.length; j++) s += ((row[j]! - model.mean[j]!) / model.scale[j]!) * model.weights[j]!;
  return s;
}

/** The candidates re-ordered by the model, each with its model score. */
export function rerank(model: RankerModel, hits: readonly LexicalHit[], query: ReadonlySet<string>): { hit: LexicalHit; score: number }[] {
  const rows = featureRows(hits, query, model.features);
  return hits.map((hit, i) => ({ hit, score: linearScore(model, rows[i]!) })).sort((a, b) => b.score - a.score);
}

export interface CandidateOptions {
  ecosystem?: Ecosystem | undefined;
  /** First-stage candidates by BM25F + prior. */
  limit: number;
  /** Extra candidates by BM25F alone: good matches the prior pushed down. */
  withoutPrior: number;
}

/** The first stage: the best candidates by BM25F + prior, then by BM25F alone, without repeats. */
export function firstStage(lexical: LexicalIndex, query: string, opts: CandidateOptions): LexicalHit[] {
  const out = lexical.search(query, { ecosystem: opts.ecosystem, limit: opts.limit });
  if (opts.withoutPrior > 0) {
    const seen = new Set(out.map((h) => h.doc));
    for (const h of lexical.search(query, { ecosystem: opts.ecosystem, limit: opts.withoutPrior, prior: 0 })) {
      if (!seen.has(h.doc)) out.push(h);
    }
  }
  return out;
}
