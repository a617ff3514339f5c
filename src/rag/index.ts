/**
 * Public entry of the RAG part: the retriever factory the gateway and the RAG
 * mitigation use, and ensureIndex, which builds the default index on first start.
 */
import { buildIndex, type BuildProgress } from "../../rag-index/build.js";
import { readManifest, type Manifest } from "../../rag-index/manifest.js";
import { progressPrinter } from "../../rag-index/progress.js";
import { projectRoot } from "../util/paths.js";
import { resolveRagPaths, type RagConfig } from "./config.js";
import { RagRetriever, type RetrieverDeps } from "./retriever.js";
import { connectIndex } from "./store.js";

export { RagConfigSchema, resolveRagPaths, type RagConfig } from "./config.js";
export { loadEmbedder, type Embedder } from "./embedder.js";
export { RagRetriever, fuseRrf, onePerPackage } from "./retriever.js";
export type { RetrievalMode, RetrieveInput, RetrievedStatement, Retriever } from "./types.js";
export type { BuildProgress } from "../../rag-index/build.js";
export type { Manifest } from "../../rag-index/manifest.js";

/**
 * Opens the index lazily: returns at once, `ready()` turns true when the embedder
 * and table are loaded, and `retrieve()` waits for that (or rejects with why not).
 */
export function createRetriever(config: RagConfig, deps: RetrieverDeps = {}): RagRetriever {
  return new RagRetriever(resolveRagPaths(config, projectRoot()), deps);
}

export interface EnsureIndexResult {
  built: boolean;
  manifest: Manifest;
}

/**
 * Builds the index when it is missing or half-built (resuming), and leaves a
 * complete one alone even if the data changed since: rebuilding 90k embeddings
 * at start-up is the operator's call (`slopguard rag-index build`). Progress goes
 * to stderr as a bar with ETA unless the caller passes its own `onProgress`.
 */
export async function ensureIndex(
  config: RagConfig,
  opts: { onProgress?: (p: BuildProgress) => void } = {},
): Promise<EnsureIndexResult> {
  config = resolveRagPaths(config, projectRoot());
  const db = await connectIndex(config);
  const existing = await readManifest(db).finally(() => db.close());
  if (existing?.complete && existing.table === config.table) return { built: false, manifest: existing };
  const result = await buildIndex({ config, onProgress: opts.onProgress ?? progressPrinter() });
  return { built: !result.skipped, manifest: result.manifest };
}
