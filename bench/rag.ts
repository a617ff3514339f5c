/**
 * `npm run bench:rag`: retrieval quality on the task set (rag-index/bench/tasks.jsonl,
 * test split unless --split), with an ablation of every step of the lexical path;
 * the old labelled set as a second line; relevance-threshold behaviour on prompts that
 * need no package; latency of the real retriever; index build time and size.
 *   --index <dir>    index to use (default data/index; built first if missing)
 *   --rebuild        time a fresh build of it
 *   --vectors <dir>  also measure vector and hybrid modes on an index with vectors there
 *                    (built with the shipped embedder if missing: minutes)
 *   --split <s>      test (default), dev or all
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildIndex } from "../src/rag/build.js";
import { RagConfigSchema, resolveRagPaths, type RagConfig } from "../src/rag/config.js";
import { createRetriever } from "../src/rag/index.js";
import { FIELDS, LexicalIndex, type Field, type LexicalDoc, type LexicalParams } from "../src/rag/lexical.js";
import { progressPrinter } from "../src/rag/progress.js";
import { normaliseQuery } from "../src/rag/query.js";
import { connectIndex, readRows } from "../src/rag/store.js";
import type { RetrievalMode } from "../src/rag/types.js";
import { projectRoot } from "../src/util/paths.js";

interface Task { ecosystem: "pypi" | "npm"; prompt: string; answers: string[]; split?: string; category?: string }
type Search = (t: Task) => Promise<string[]> | string[];

const { values: args } = parseArgs({
  options: { index: { type: "string" }, rebuild: { type: "boolean" }, vectors: { type: "string" }, split: { type: "string", default: "test" } },
});
const root = projectRoot();
const readJsonl = (file: string): Task[] => readFileSync(path.join(root, file), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Task);
const all = readJsonl("rag-index/bench/tasks.jsonl");
const tasks = all.filter((t) => t.answers.length > 0 && (args.split === "all" || t.split === args.split));
const noPackage = all.filter((t) => t.answers.length === 0);
const old = readJsonl("rag-index/bench/labelled.jsonl");

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const f = (x: number, d = 3): string => x.toFixed(d);

interface Score { recall: number; mrr: number; n: number; ms: number[] }
async function score(set: Task[], search: Search): Promise<Record<string, Score>> {
  const out: Record<string, Score> = {};
  for (const t of set) {
    const started = performance.now();
    const got = (await search(t)).map((p) => p.toLowerCase());
    const ms = performance.now() - started;
    const answers = new Set(t.answers.map((a) => a.toLowerCase()));
    const rank = got.slice(0, 5).findIndex((g) => answers.has(g));
    for (const key of [t.ecosystem, "all"]) {
      const s = (out[key] ??= { recall: 0, mrr: 0, n: 0, ms: [] });
      s.n += 1;
      s.ms.push(ms);
      if (rank >= 0) { s.recall += 1; s.mrr += 1 / (rank + 1); }
    }
  }
  for (const s of Object.values(out)) { s.recall /= s.n; s.mrr /= s.n; }
  return out;
}
const cells = (s: Record<string, Score>): string =>
  ["pypi", "npm"].map((e) => `${f(s[e]!.recall)} | ${f(s[e]!.mrr)}`).join(" | ");

// --- the index -------------------------------------------------------------------
const base: RagConfig = resolveRagPaths(RagConfigSchema.parse({ indexUri: args.index ?? "data/index" }), root);
const { manifest } = await buildIndex({ config: base, force: args.rebuild, onProgress: progressPrinter() });
const sizeMiB = base.indexUri.includes("://") ? NaN : Number(execFileSync("du", ["-sk", base.indexUri]).toString().split("\t")[0]) / 1024;
const db = await connectIndex(base);
const table = await db.openTable(base.table);
const rows = await readRows(table);
table.close();
db.close();
const docs: LexicalDoc[] = rows.map((r) => ({
  package: r.package, ecosystem: r.ecosystem, statement: r.statement, popularity: r.popularity,
  fields: { name: r.package, summary: r.summary, imports: r.imports, keywords: r.keywords, questions: r.questions },
}));

console.log(`tasks: ${tasks.length} (${args.split} split; pypi ${tasks.filter((t) => t.ecosystem === "pypi").length}, npm ${tasks.filter((t) => t.ecosystem === "npm").length}); no-package prompts ${noPackage.length}; old labelled set ${old.length}`);
console.log(`index: ${manifest.rows} packages (${manifest.packages.pypi} PyPI + ${manifest.packages.npm} npm), vectors: ${manifest.dims || "none"}`);
console.log(`build: ${manifest.buildSeconds ?? "?"} s (manifest${args.rebuild ? ", this run" : ""}), on disk ${f(sizeMiB, 1)} MiB`);

// --- ablation: each step of the lexical path, in memory over the same rows ----------
const shipped = base.lexical;
const zero = Object.fromEntries(FIELDS.map((k) => [k, 0])) as Record<Field, number>;
const only = (fields: Field[]): Record<Field, number> => ({ ...zero, ...Object.fromEntries(fields.map((k) => [k, shipped.weights[k]])) });
const off = { ...shipped, prior: 0 };
const steps: { label: string; params: LexicalParams; normalise: boolean }[] = [
  { label: "BM25, summary only, raw prompt", params: { ...off, weights: { ...zero, summary: 1 } }, normalise: false },
  { label: "+ query normalisation", params: { ...off, weights: { ...zero, summary: 1 } }, normalise: true },
  { label: "+ name field (BM25F)", params: { ...off, weights: only(["name", "summary"]) }, normalise: true },
  { label: "+ import names", params: { ...off, weights: only(["name", "summary", "imports"]) }, normalise: true },
  { label: "+ keywords (anchor text)", params: { ...off, weights: only(["name", "summary", "imports", "keywords"]) }, normalise: true },
  { label: "+ task texts (doc2query)", params: off, normalise: true },
  { label: "+ popularity prior (shipped)", params: shipped, normalise: true },
];
console.log(`\nAblation (${args.split} split, top 5, no threshold)\n| step | PyPI recall@5 | PyPI MRR | npm recall@5 | npm MRR | build ms |\n| --- | --- | --- | --- | --- | --- |`);
for (const step of steps) {
  const t0 = performance.now();
  const index = new LexicalIndex(docs, step.params);
  const buildMs = performance.now() - t0;
  const s = await score(tasks, (t) => index.search(step.normalise ? normaliseQuery(t.prompt) : t.prompt, { ecosystem: t.ecosystem, limit: 5 }).map((h) => h.doc.package));
  console.log(`| ${step.label} | ${cells(s)} | ${f(buildMs, 0)} |`);
}

// --- the real retriever: threshold, latency, modes -----------------------------------
async function retrieverRows(config: RagConfig, modes: RetrievalMode[]): Promise<void> {
  const retriever = createRetriever(config);
  const t0 = performance.now();
  await retriever.whenReady();
  console.log(`\nretriever ready in ${f(performance.now() - t0, 0)} ms (${config.indexUri})`);
  console.log(`| mode | PyPI recall@5 | PyPI MRR | npm recall@5 | npm MRR | p50 ms | p99 ms | no-package prompts left empty |\n| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const mode of modes) {
    for (const t of tasks.slice(0, 20)) await retriever.retrieve({ query: normaliseQuery(t.prompt), ecosystem: t.ecosystem, mode }); // warm-up
    const search = async (t: Task) => (await retriever.retrieve({ query: normaliseQuery(t.prompt), ecosystem: t.ecosystem, mode })).map((h) => h.package);
    const s = await score(tasks, search);
    let empty = 0;
    for (const t of noPackage) if ((await search(t)).length === 0) empty += 1;
    const a = s.all!;
    console.log(`| ${mode} (threshold ${config.minRelevance}) | ${cells(s)} | ${f(pct(a.ms, 50), 2)} | ${f(pct(a.ms, 99), 2)} | ${empty}/${noPackage.length} |`);
    if (mode === "fulltext") {
      const noThreshold = await score(tasks, async (t) => (await retriever.retrieve({ query: normaliseQuery(t.prompt), ecosystem: t.ecosystem, mode, minRelevance: 0 })).map((h) => h.package));
      console.log(`| ${mode} (no threshold) | ${cells(noThreshold)} | | | 0/${noPackage.length} |`);
      const oldSet = await score(old, search);
      console.log(`| ${mode}, old labelled set (${old.length}) | ${cells(oldSet)} | | | |`);
    }
  }
  await retriever.close();
}
await retrieverRows(base, ["fulltext"]);

if (args.vectors) {
  const vec = resolveRagPaths(RagConfigSchema.parse({ indexUri: args.vectors, mode: "hybrid" }), root);
  const built = await buildIndex({ config: vec, onProgress: progressPrinter() });
  const vecMiB = Number(execFileSync("du", ["-sk", vec.indexUri]).toString().split("\t")[0]) / 1024;
  console.log(`\nvector index: ${built.manifest.dims} dims, ${built.manifest.annIndex ?? "no ANN"}, build ${built.manifest.buildSeconds} s, ${f(vecMiB, 1)} MiB`);
  await retrieverRows(vec, ["vector", "hybrid", "fulltext"]);
}
