/**
 * The `rag` section of the gateway config: where the LanceDB index lives, which
 * embedder turns text into vectors, and how retrieval runs by default.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export const EmbedderConfigSchema = z.strictObject({
  /**
   * A local directory in transformers.js layout (relative paths resolve against the
   * working directory) or a hub id such as `Xenova/all-MiniLM-L6-v2`.
   */
  model: z.string().min(1).default("models/embedder"),
  /** Load `onnx/model_quantized.onnx` instead of `onnx/model.onnx`. */
  quantized: z.boolean().default(true),
  /** Hub ids need this; a local directory never downloads anything. */
  allowRemote: z.boolean().default(false),
  /** Statements embedded per call while building. */
  batchSize: z.number().int().positive().max(4096).default(128),
});
export type EmbedderConfig = z.infer<typeof EmbedderConfigSchema>;

type FieldValues = { name: number; summary: number; imports: number; keywords: number; tags: number; about: number; questions: number };
const n = (v: number) => z.number().min(0).default(v);
const fieldNumbers = (d: FieldValues) =>
  z
    .strictObject({ name: n(d.name), summary: n(d.summary), imports: n(d.imports), keywords: n(d.keywords), tags: n(d.tags), about: n(d.about), questions: n(d.questions) })
    .default(d);

/** Field weights and BM25 parameters; the defaults were tuned on the dev split (docs/BENCHMARKS.md). */
export const LexicalConfigSchema = z.strictObject({
  weights: fieldNumbers({ name: 3, summary: 1, imports: 2, keywords: 2, tags: 1, about: 1, questions: 1 }),
  b: fieldNumbers({ name: 0.5, summary: 0.75, imports: 0.5, keywords: 0.75, tags: 0.5, about: 0.75, questions: 0.75 }),
  k1: z.number().positive().default(1.2),
  /** Weight of the popularity prior, added to the BM25F score divided by the query's IDF mass (0: off). */
  prior: z.number().min(0).default(0.3),
  priorPower: z.number().positive().default(1),
});
export type LexicalConfig = z.infer<typeof LexicalConfigSchema>;

export const RagConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Local folder or object-store URI (`s3://bucket/prefix`, `gs://…`, `az://…`). */
  indexUri: z.string().min(1).default("data/index"),
  table: z.string().regex(/^[A-Za-z0-9_-]+$/).default("statements"),
  /** Passed to LanceDB for object stores (region, endpoint, credentials from env). */
  storageOptions: z.record(z.string(), z.string()).default({}),
  embedder: EmbedderConfigSchema.default(EmbedderConfigSchema.parse({})),
  topK: z.number().int().positive().max(100).default(5),
  /**
   * `fulltext`: field-aware BM25 with a popularity prior (no embedder, no vectors in the
   * index); `vector` and `hybrid` (RRF of both) need vectors, so the build embeds every
   * statement. docs/BENCHMARKS.md has the comparison that made full text the default.
   */
  mode: z.enum(["vector", "fulltext", "hybrid"]).default("fulltext"),
  lexical: LexicalConfigSchema.default(LexicalConfigSchema.parse({})),
  /**
   * The learned second stage (`src/rag/ranker.ts`): a model file written by
   * `rag-index/ranker/train.ts`, relative to the checkout; null keeps the first-stage order
   * (BM25F + prior). It re-orders the first stage's candidates in every mode's full-text arm.
   */
  ranker: z.string().min(1).nullable().default("rag-index/ranker/model.json"),
  rerank: z
    .strictObject({
      /** Candidates by BM25F + prior the ranker re-orders. */
      candidates: z.number().int().positive().max(1000).default(100),
      /** And by BM25F alone (good matches the prior pushed down). */
      withoutPrior: z.number().int().min(0).max(1000).default(50),
    })
    .default({ candidates: 100, withoutPrior: 50 }),
  /**
   * A statement goes into the prompt only when it matches at least this share of the
   * task's IDF-weighted words (0–1); below it, nothing is added rather than noise. 0.15 was
   * chosen on the dev split with the reranker on (0.3 suited the first stage alone, whose
   * top 5 it cleared of popular non-matches; the reranker does that itself, and 0.3 then
   * only drops good answers: docs/BENCHMARKS.md).
   */
  minRelevance: z.number().min(0).max(1).default(0.15),
  /** Build the default index at start-up when it is missing. */
  autoBuild: z.boolean().default(true),
  /** Folder with the package selection the statements are built from. */
  dataDir: z.string().min(1).default("rag-index/data"),
  /** Candidates each arm fetches before reciprocal rank fusion. */
  hybridCandidates: z.number().int().positive().max(1000).default(40),
  /** IVF-PQ search settings (used once the table is big enough to carry an ANN index). */
  vectorSearch: z
    .strictObject({
      nprobes: z.number().int().positive().default(20),
      /** Re-rank this many times k candidates with exact distances (0: off; HNSW-SQ barely needs it). */
      refineFactor: z.number().int().min(0).default(0),
      /** Ignore the ANN index and scan every vector (benchmarks, small tables). */
      exact: z.boolean().default(false),
    })
    .default({ nprobes: 20, refineFactor: 0, exact: false }),
  /** Weight of each ranking in the fusion; see docs/BENCHMARKS.md for how the default was chosen. */
  rrfWeights: z
    .strictObject({ vector: z.number().min(0).default(1), fulltext: z.number().min(0).default(1) })
    .default({ vector: 1, fulltext: 1 }),
  /** RRF constant k in 1/(k + rank); 60 is the value of the original RRF paper. */
  rrfK: z.number().positive().default(60),
});
export type RagConfig = z.infer<typeof RagConfigSchema>;

const URI_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Relative local paths in the rag section mean "inside the slopguard checkout", wherever it runs from. */
export function resolveRagPaths(config: RagConfig, root: string): RagConfig {
  const local = (p: string): string => (URI_SCHEME.test(p) || path.isAbsolute(p) ? p : path.resolve(root, p));
  const model = config.embedder.model;
  const modelDir = local(model);
  return {
    ...config,
    indexUri: local(config.indexUri),
    dataDir: local(config.dataDir),
    ranker: config.ranker === null ? null : local(config.ranker),
    // A hub id looks like a relative path; keep it unless that folder really exists here.
    embedder: { ...config.embedder, model: existsSync(path.join(modelDir, "config.json")) ? modelDir : model },
  };
}
