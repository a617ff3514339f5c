/**
 * Public entry of the RAG part: the retriever factory the gateway and the RAG mitigation
 * use, ensureIndex (builds the default index on first start), and the query helpers the
 * mitigation calls. rag-index/ (CLI, data, bench) imports from here, never the reverse.
 */
import { projectRoot } from "../util/paths.js";
import { buildIndex, needsVectors, type BuildProgress } from "./build.js";
import { resolveRagPaths, type RagConfig } from "./config.js";
import { readManifest, type Manifest } from "./manifest.js";
import { progressPrinter } from "./progress.js";
import { RagRetriever, type RetrieverDeps } from "./retriever.js";
import { dataDigest } from "./selection.js";
import { connectIndex } from "./store.js";

export { RagConfigSchema, resolveRagPaths, type RagConfig } from "./config.js";
export { loadEmbedder, type Embedder } from "./embedder.js";
export { buildIndex, needsVectors, type BuildProgress, type BuildResult } from "./build.js";
export { readManifest, type Manifest } from "./manifest.js";
export { RagRetriever, fuseRrf } from "./retriever.js";
export { taskQuery, ecosystemOf, normaliseQuery } from "./query.js";
export { safeStatement, sanitize } from "./sanitize.js";
export type { RetrievalMode, RetrieveInput, RetrievedStatement, Retriever } from "./types.js";

/**
 * Opens the index lazily: returns at once, `ready()` turns true when the table is read
 * and the lexical index built, and `retrieve()` waits for that (or rejects with why not).
 */
export function createRetriever(config: RagConfig, deps: RetrieverDeps = {}): RagRetriever {
  return new RagRetriever(resolveRagPaths(config, projectRoot()), deps);
}

/**
 * Whether a manifest describes a complete index this config can search: vectors when its mode needs
 * them, and, given the data folder, built from the data it holds now. An updated checkout ships new
 * package data (written tasks, tags) and a ranker fitted on it; an index left from the old data would
 * serve the old text silently. An index built with generated questions is kept: the model that wrote
 * them may not be at hand to write them again.
 */
export function indexServes(manifest: Manifest | undefined, config: Pick<RagConfig, "table" | "mode"> & { dataDir?: string }): boolean {
  if (manifest?.complete !== true || manifest.table !== config.table || (needsVectors(config) && manifest.dims === 0)) return false;
  if (config.dataDir === undefined || manifest.generator !== null) return true;
  const digest = dataDigest(config.dataDir);
  return digest === undefined || manifest.dataDigest === digest;
}

export interface EnsureIndexResult {
  built: boolean;
  manifest: Manifest;
}

/**
 * Builds the index when it is missing, half-built (resuming), of an older layout, without the
 * vectors the configured mode needs, or built from other data than the data folder holds now
 * (`indexServes`). Progress goes to stderr unless the caller passes its own `onProgress`.
 */
export async function ensureIndex(
  config: RagConfig,
  opts: { onProgress?: (p: BuildProgress) => void } = {},
): Promise<EnsureIndexResult> {
  config = resolveRagPaths(config, projectRoot());
  const db = await connectIndex(config);
  const existing = await readManifest(db).finally(() => db.close());
  if (indexServes(existing, config)) return { built: false, manifest: existing as Manifest };
  const result = await buildIndex({ config, onProgress: opts.onProgress ?? progressPrinter() });
  return { built: !result.skipped, manifest: result.manifest };
}
