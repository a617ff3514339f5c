/**
 * `slopguard rag-index build|query|info`: builds the statement index with a
 * progress bar, prints the top-k statements for a prompt, shows the manifest.
 */
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { loadConfig } from "../src/config/load.js";
import { RagConfigSchema, resolveRagPaths, type RagConfig } from "../src/rag/config.js";
import { createRetriever, normaliseQuery } from "../src/rag/index.js";
import { connectIndex } from "../src/rag/store.js";
import { projectRoot } from "../src/util/paths.js";
import { buildIndex } from "../src/rag/build.js";
import { readManifest } from "../src/rag/manifest.js";
import { progressPrinter } from "../src/rag/progress.js";
import { generateQuestions } from "./generator.js";

const CommonOptions = z.object({
  config: z.string().optional(),
  index: z.string().optional(),
  model: z.string().optional(),
  data: z.string().optional(),
});

function ragConfig(raw: unknown): { rag: RagConfig; configPath?: string } {
  const o = CommonOptions.parse(raw);
  const base = o.config ? loadConfig({ path: o.config }).rag : RagConfigSchema.parse({});
  const cwdPath = (p: string | undefined): string | undefined =>
    p === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : path.resolve(p);
  const rag: RagConfig = {
    ...base,
    indexUri: cwdPath(o.index) ?? base.indexUri,
    dataDir: cwdPath(o.data) ?? base.dataDir,
    embedder: { ...base.embedder, model: o.model ? (cwdPath(o.model) as string) : base.embedder.model },
  };
  return { rag: resolveRagPaths(rag, projectRoot()), configPath: o.config };
}

const BuildOptions = z.object({
  force: z.boolean().optional(),
  mode: z.enum(["vector", "fulltext", "hybrid"]).optional(),
  generator: z.string().optional(),
  generatorLimit: z.coerce.number().int().positive().default(200),
  annMinRows: z.coerce.number().int().positive().default(50_000),
});

const QueryOptions = z.object({
  ecosystem: z.enum(["pypi", "npm"]).optional(),
  k: z.coerce.number().int().positive().max(100).optional(),
  mode: z.enum(["vector", "fulltext", "hybrid"]).optional(),
  minRelevance: z.coerce.number().min(0).max(1).optional(),
  json: z.boolean().optional(),
});

function common(cmd: Command): Command {
  return cmd
    .option("-c, --config <file>", "gateway config file (its rag section)")
    .option("--index <uri>", "index location: folder or s3://… URI (default data/index)")
    .option("--model <dir|id>", "embedder: local transformers.js folder or hub id")
    .option("--data <dir>", "package selection folder (default rag-index/data)");
}

async function runBuild(raw: Record<string, unknown>): Promise<void> {
  const { rag, configPath } = ragConfig(raw);
  const o = BuildOptions.parse(raw);
  let generated: Map<string, string[]> | undefined;
  if (o.generator) {
    const cfg = loadConfig(configPath ? { path: configPath } : {});
    generated = await generateQuestions({ config: cfg, model: o.generator, dataDir: rag.dataDir, limit: o.generatorLimit });
  }
  const { manifest, skipped } = await buildIndex({
    // vector and hybrid need the statements embedded; fulltext (the default) does not.
    config: o.mode ? { ...rag, mode: o.mode } : rag,
    force: o.force,
    generated,
    generatorModel: o.generator,
    annMinRows: o.annMinRows,
    onProgress: progressPrinter(),
  });
  if (skipped) process.stderr.write("index is complete and up to date; nothing to do (use --force to rebuild)\n");
  process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
}

async function runQuery(prompt: string, raw: Record<string, unknown>): Promise<void> {
  const { rag } = ragConfig(raw);
  const o = QueryOptions.parse(raw);
  const retriever = createRetriever(rag);
  try {
    const started = performance.now();
    // The gateway's query: request boilerplate ("Generate Python code that …") stripped.
    const query = normaliseQuery(prompt);
    const hits = await retriever.retrieve({ query, ecosystem: o.ecosystem, k: o.k, mode: o.mode, minRelevance: o.minRelevance });
    const ms = performance.now() - started;
    if (o.json) {
      process.stdout.write(`${JSON.stringify(hits, null, 2)}\n`);
      return;
    }
    hits.forEach((h, i) => {
      process.stdout.write(`${i + 1}. [${h.ecosystem}] ${h.package}  (score ${h.score.toFixed(3)}, relevance ${h.relevance ?? "?"})\n   ${h.statement}\n`);
    });
    process.stderr.write(`query "${query}": ${hits.length} results, ${o.mode ?? rag.mode}, ${ms.toFixed(1)} ms (first query includes loading)\n`);
  } finally {
    await retriever.close();
  }
}

async function runInfo(raw: Record<string, unknown>): Promise<void> {
  const { rag } = ragConfig(raw);
  const db = await connectIndex(rag);
  const manifest = await readManifest(db).finally(() => db.close());
  if (!manifest) throw new Error(`no index manifest at ${rag.indexUri}; run \`slopguard rag-index build\``);
  process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
}

export function registerRagIndex(program: Command): void {
  const group = program.command("rag-index").description("Build or query the RAG index of package statements");
  common(group.command("build").description("Write the package table to LanceDB (embedding only for vector/hybrid modes; resumes an interrupted build)"))
    .option("--force", "rebuild even if a complete index with the same inputs exists")
    .option("--mode <fulltext|vector|hybrid>", "index for this mode (vector and hybrid embed every statement: minutes)")
    .option("--generator <model>", "also ask this gateway model (config `models[].name`) for questions per package")
    .option("--generator-limit <n>", "packages the generator is asked about, most popular first", "200")
    .option("--ann-min-rows <n>", "rows from which an HNSW-SQ vector index is built", "50000")
    .action((opts: Record<string, unknown>) => runBuild(opts));
  common(group.command("query").description("Print the top-k statements for a prompt").argument("<prompt>"))
    .option("-e, --ecosystem <pypi|npm>", "only statements of this ecosystem")
    .option("-k, --k <n>", "number of statements (default: config topK, 5)")
    .option("-m, --mode <vector|fulltext|hybrid>", "retrieval mode (default: config mode, fulltext)")
    .option("--min-relevance <0-1>", "relevance threshold (default: config minRelevance; 0 = always k results)")
    .option("--json", "print JSON")
    .action((prompt: string, opts: Record<string, unknown>) => runQuery(prompt, opts));
  common(group.command("info").description("Print the index manifest")).action((opts: Record<string, unknown>) => runInfo(opts));
}
