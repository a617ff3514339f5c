/**
 * `npm run bench:rag`: retrieval quality on the task set (rag-index/bench/tasks.jsonl,
 * test split unless --split), with an ablation of every step of the lexical path;
 * the old labelled set and other writers' prompts (the dev-only supplement, which the reranker is
 * not fitted on) as further lines; relevance-threshold behaviour on prompts that
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
import { FIELDS, LexicalIndex, lexicalDoc, type Field, type LexicalDoc, type LexicalParams } from "../src/rag/lexical.js";
import { progressPrinter } from "../src/rag/progress.js";
import { normaliseQuery } from "../src/rag/query.js";
import { firstStage, loadRanker, rerank } from "../src/rag/ranker.js";
import { terms } from "../src/rag/text.js";
import { connectIndex, readRows } from "../src/rag/store.js";
import type { RetrievalMode } from "../src/rag/types.js";
import { projectRoot } from "../src/util/paths.js";

interface Task { ecosystem: "pypi" | "npm"; prompt: string; answers: string[]; split?: string; category?: string; source?: string }
type Search = (t: Task) => Promise<string[]> | string[];

const { values: args } = parseArgs({
  options: { index: { type: "string" }, rebuild: { type: "boolean" }, vectors: { type: "string" }, split: { type: "string", default: "test" } },
});
const root = projectRoot();
const readJsonl = (file: string): Task[] => readFileSync(path.join(root, file), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Task);
const all = readJsonl("rag-index/bench/tasks.jsonl");
// The dev-only supplement (other writers' prompts, never fitted on) is its own line, not part of a split.
const supplement = all.filter((t) => t.source === "supplement");
const tasks = all.filter((t) => t.answers.length > 0 && !t.source && (args.split === "all" || t.split === args.split));
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
const docs: LexicalDoc[] = rows.map(lexicalDoc);

console.log(`tasks: ${tasks.length} (${args.split} split; pypi ${tasks.filter((t) => t.ecosystem === "pypi").length}, npm ${tasks.filter((t) => t.ecosystem === "npm").length}); no-package prompts ${noPackage.length}; old labelled set ${old.length}; other writers' prompts ${supplement.length}`);
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
  { label: "+ authors' tags", params: { ...off, weights: only(["name", "summary", "imports", "keywords", "tags"]) }, normalise: true },
  { label: "+ Debian's descriptions", params: { ...off, weights: only(["name", "summary", "imports", "keywords", "tags", "about"]) }, normalise: true },
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
  if (step.params === shipped && base.ranker) {
    // The learned second stage (trained on the dev split) over the same first stage.
    const model = loadRanker(base.ranker);
    const { candidates, withoutPrior } = base.rerank;
    const r = await score(tasks, (t) => {
      const q = normaliseQuery(t.prompt);
      const hits = firstStage(index, q, { ecosystem: t.ecosystem, limit: candidates, withoutPrior });
      return rerank(model, hits, new Set(terms(q))).slice(0, 5).map((x) => x.hit.doc.package);
    });
    console.log(`| + learned reranker (${candidates} + ${withoutPrior} candidates) | ${cells(r)} | |`);
  }
}

// --- the real retriever: threshold, latency, modes -----------------------------------
interface Variant { label: string; config: RagConfig; mode: RetrievalMode }
/**
 * Each variant through the real retriever. Latency is taken round-robin per task (the
 * variants take turns, the order rotating), so load from other work hits them alike.
 */
async function retrieverRows(variants: Variant[]): Promise<void> {
  const rs: ReturnType<typeof createRetriever>[] = [];
  for (const v of variants) {
    // One at a time: opening reads the table and builds the in-memory index (CPU-bound).
    const t0 = performance.now();
    const r = createRetriever(v.config);
    await r.whenReady();
    rs.push(r);
    console.log(`\nretriever "${v.label}" ready in ${f(performance.now() - t0, 0)} ms (${v.config.indexUri})`);
  }
  const searchOf = (i: number, minRelevance?: number) => async (t: Task) =>
    (await rs[i]!.retrieve({ query: normaliseQuery(t.prompt), ecosystem: t.ecosystem, mode: variants[i]!.mode, minRelevance })).map((h) => h.package);
  for (const t of tasks.slice(0, 20)) for (let i = 0; i < rs.length; i++) await searchOf(i)(t); // warm-up
  const ms: number[][] = variants.map(() => []);
  for (let round = 0; round < 3; round++) {
    for (const [ti, t] of tasks.entries()) {
      for (let j = 0; j < rs.length; j++) {
        const i = (ti + j + round) % rs.length;
        const t0 = performance.now();
        await searchOf(i)(t);
        ms[i]!.push(performance.now() - t0);
      }
    }
  }
  console.log(`| variant | PyPI recall@5 | PyPI MRR | npm recall@5 | npm MRR | p50 ms | p99 ms | no-package prompts left empty |\n| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const [i, v] of variants.entries()) {
    const s = await score(tasks, searchOf(i));
    let empty = 0;
    for (const t of noPackage) if ((await searchOf(i)(t)).length === 0) empty += 1;
    console.log(`| ${v.label} (threshold ${v.config.minRelevance}) | ${cells(s)} | ${f(pct(ms[i]!, 50), 2)} | ${f(pct(ms[i]!, 99), 2)} | ${empty}/${noPackage.length} |`);
    if (v.mode === "fulltext") {
      console.log(`| ${v.label} (no threshold) | ${cells(await score(tasks, searchOf(i, 0)))} | | | 0/${noPackage.length} |`);
      console.log(`| ${v.label}, old labelled set (${old.length}) | ${cells(await score(old, searchOf(i)))} | | | |`);
      console.log(`| ${v.label}, other writers' prompts (dev supplement, ${supplement.length}) | ${cells(await score(supplement, searchOf(i)))} | | | |`);
    }
  }
  const p50 = variants.map((_, i) => pct(ms[i]!, 50));
  if (variants.length > 1) console.log(`p50 ratio to "${variants[0]!.label}": ${variants.map((v, i) => `${v.label} ${f(p50[i]! / p50[0]!, 2)}×`).join(", ")}`);
  for (const r of rs) await r.close();
}
const fulltextVariants: Variant[] = [
  { label: "fulltext, first stage only (BM25F + prior)", config: { ...base, ranker: null }, mode: "fulltext" },
  ...(base.ranker ? [{ label: "fulltext + learned reranker (default)", config: base, mode: "fulltext" as const }] : []),
];
await retrieverRows(fulltextVariants);

if (args.vectors) {
  const vec = resolveRagPaths(RagConfigSchema.parse({ indexUri: args.vectors, mode: "hybrid" }), root);
  const built = await buildIndex({ config: vec, onProgress: progressPrinter() });
  const vecMiB = Number(execFileSync("du", ["-sk", vec.indexUri]).toString().split("\t")[0]) / 1024;
  console.log(`\nvector index: ${built.manifest.dims} dims, ${built.manifest.annIndex ?? "no ANN"}, build ${built.manifest.buildSeconds} s, ${f(vecMiB, 1)} MiB`);
  await retrieverRows((["vector", "hybrid", "fulltext"] as const).map((mode) => ({ label: mode, config: vec, mode })));
}
