/**
 * `npm run bench:rag`: retrieval quality (recall@5, MRR) of vector, full-text and
 * hybrid search on the labelled prompt set, query latency (embedding + search) on
 * CPU, and the full index's build time and size. Builds the default index first
 * if it is missing (`--index <dir>` to use another; `--rebuild` to time a fresh build).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "../rag-index/build.js";
import { progressPrinter } from "../rag-index/progress.js";
import { RagConfigSchema, resolveRagPaths, type RagConfig } from "../src/rag/config.js";
import { loadEmbedder } from "../src/rag/embedder.js";
import { createRetriever } from "../src/rag/index.js";
import type { RetrievalMode } from "../src/rag/types.js";
import { projectRoot } from "../src/util/paths.js";

interface Labelled { ecosystem: "pypi" | "npm"; prompt: string; answers: string[] }

const { values: args } = parseArgs({
  options: { index: { type: "string" }, rebuild: { type: "boolean" }, k: { type: "string", default: "5" } },
});
const root = projectRoot();
const k = Number(args.k);
const base: RagConfig = resolveRagPaths(RagConfigSchema.parse({ indexUri: args.index ?? "data/index" }), root);
const set: Labelled[] = readFileSync(path.join(root, "rag-index/bench/labelled.jsonl"), "utf8")
  .trim().split("\n").map((l) => JSON.parse(l) as Labelled);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const embedder = await loadEmbedder(base.embedder);
const { manifest } = await buildIndex({ config: base, embedder, force: args.rebuild, onProgress: progressPrinter() });
const sizeMiB = base.indexUri.includes("://") ? NaN : Number(execFileSync("du", ["-sk", base.indexUri]).toString().split("\t")[0]) / 1024;

type Row = { mode: string; eco: string; recall: number; mrr: number; p50: number; p99: number; n: number };
const rows: Row[] = [];
const ann = manifest.annIndex ?? "no ANN index";
const variants: { label: string; mode: RetrievalMode; exact?: boolean }[] = [
  { label: `vector (${ann})`, mode: "vector" },
  { label: "vector (exact scan)", mode: "vector", exact: true },
  { label: "full-text (BM25)", mode: "fulltext" },
  { label: "hybrid (RRF)", mode: "hybrid" },
];
for (const v of variants) {
  const config = { ...base, vectorSearch: { ...base.vectorSearch, exact: v.exact ?? false } };
  const retriever = createRetriever(config, { embedder });
  await retriever.whenReady();
  for (const r of set.slice(0, 20)) await retriever.retrieve({ query: r.prompt, ecosystem: r.ecosystem, mode: v.mode, k }); // warm-up
  const per: Record<string, { hits: number; rr: number; ms: number[]; n: number }> = {};
  for (const r of set) {
    const started = performance.now();
    const got = await retriever.retrieve({ query: r.prompt, ecosystem: r.ecosystem, mode: v.mode, k });
    const ms = performance.now() - started;
    const names = got.map((h) => h.package.toLowerCase());
    const rank = names.findIndex((n) => r.answers.some((a) => a.toLowerCase() === n));
    for (const key of [r.ecosystem, "all"]) {
      const acc = (per[key] ??= { hits: 0, rr: 0, ms: [], n: 0 });
      acc.n += 1;
      acc.ms.push(ms);
      if (rank >= 0) { acc.hits += 1; acc.rr += 1 / (rank + 1); }
    }
  }
  for (const [eco, a] of Object.entries(per)) {
    rows.push({ mode: v.label, eco, recall: a.hits / a.n, mrr: a.rr / a.n, p50: pct(a.ms, 50), p99: pct(a.ms, 99), n: a.n });
  }
  await retriever.close();
}

// Query embedding alone, to split latency between the model and LanceDB.
const embedMs: number[] = [];
for (const r of set) { const t = performance.now(); await embedder.embed([r.prompt]); embedMs.push(performance.now() - t); }

const f = (x: number, d = 3): string => x.toFixed(d);
console.log(`\nlabelled prompts: ${set.length} (pypi ${set.filter((r) => r.ecosystem === "pypi").length}, npm ${set.filter((r) => r.ecosystem === "npm").length}), k=${k}`);
console.log(`index: ${manifest.rows} statements, ${manifest.packages.pypi} PyPI + ${manifest.packages.npm} npm packages, ` +
  `model ${path.relative(root, manifest.modelId) || manifest.modelId} (${manifest.dims} dims, ${manifest.quantized ? "int8" : "fp32"}), ANN ${manifest.annIndex ?? "none"}`);
console.log(`build: ${manifest.buildSeconds ?? "?"} s (from manifest), on disk ${f(sizeMiB, 1)} MiB`);
console.log(`query embedding alone: p50 ${f(pct(embedMs, 50), 2)} ms, p99 ${f(pct(embedMs, 99), 2)} ms\n`);
console.log("| mode | ecosystem | recall@5 | MRR@5 | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(`| ${r.mode} | ${r.eco} (${r.n}) | ${f(r.recall)} | ${f(r.mrr)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} |`);
