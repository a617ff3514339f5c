/**
 * Sentence embeddings through @xenova/transformers: feature extraction, mean
 * pooling, L2 normalisation. A local directory is loaded with remote loading
 * switched off, so an offline machine never tries the network.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { env, pipeline, type FeatureExtractionPipeline } from "@xenova/transformers";
import type { EmbedderConfig } from "./config.js";

export interface Embedder {
  readonly modelId: string;
  readonly dims: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** transformers.js resolves local models as `env.localModelPath + id`, so split the path. */
function resolveModel(cfg: EmbedderConfig): { id: string; localDir?: string } {
  const abs = path.resolve(cfg.model);
  if (existsSync(path.join(abs, "config.json"))) return { id: path.basename(abs), localDir: path.dirname(abs) };
  if (!cfg.allowRemote) {
    throw new Error(
      `embedder "${cfg.model}" is not a local model directory (no config.json) and rag.embedder.allowRemote is false`,
    );
  }
  return { id: cfg.model };
}

export async function loadEmbedder(cfg: EmbedderConfig): Promise<Embedder> {
  const { id, localDir } = resolveModel(cfg);
  if (localDir) {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = localDir + path.sep;
  } else {
    env.allowRemoteModels = true;
  }
  const extractor: FeatureExtractionPipeline = await pipeline("feature-extraction", id, {
    quantized: cfg.quantized,
    local_files_only: Boolean(localDir),
  });
  const run = async (texts: string[]): Promise<Float32Array[]> => {
    if (texts.length === 0) return [];
    const out = await extractor(texts, { pooling: "mean", normalize: true });
    const [rows, dims] = out.dims as [number, number];
    const data = out.data as Float32Array;
    return Array.from({ length: rows }, (_, i) => data.slice(i * dims, (i + 1) * dims));
  };
  const probe = await run(["probe"]);
  return { modelId: cfg.model, dims: probe[0]?.length ?? 0, embed: run };
}
