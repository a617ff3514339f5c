/**
 * Trains the full-text reranker (src/rag/ranker.ts) on the DEV split of the task set and
 * writes the model file the retriever loads (`rag.ranker`). The test split is never read
 * here: `npm run bench:rag` reports it. Cross-validation (folds by a hash of the prompt)
 * says what the model does on dev tasks it was not fitted on; the model written is then
 * fitted on all of dev.
 *
 *   npx tsx rag-index/ranker/train.ts [--out rag-index/ranker/model.json] [--features a,b,…]
 *        [--l2 0.01] [--epochs 200] [--cv-only] [--lexical '{"weights":{"about":0.5}}']
 *        [--data <selection folder>] [--misses] [--fit-supplement]
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { RagConfigSchema } from "../../src/rag/config.js";
import { LexicalIndex, lexicalDoc, type LexicalDoc } from "../../src/rag/lexical.js";
import { normaliseQuery } from "../../src/rag/query.js";
import { FEATURES, featureRows, firstStage, linearScore, type RankerModel } from "../../src/rag/ranker.js";
import { indexRows } from "../../src/rag/selection.js";
import { terms } from "../../src/rag/text.js";
import { projectRoot } from "../../src/util/paths.js";
import { fitLinear, type FitOptions, type LinearModel, type TrainingList } from "./fit.js";

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: "rag-index/ranker/model.json" },
    features: { type: "string" },
    l2: { type: "string", default: "0.01" },
    epochs: { type: "string", default: "200" },
    folds: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    drop: { type: "string", default: "" },
    "cv-only": { type: "boolean" },
    "min-relevance": { type: "string" },
    /** Lexical parameters to measure instead of the defaults, as JSON (`{"weights":{"about":0.5}}`). */
    lexical: { type: "string" },
    /** Print the dev tasks the first repeat's held-out folds miss, with what came first. */
    misses: { type: "boolean" },
    /** Package selection folder to train on (default: the config's, rag-index/data). */
    data: { type: "string" },
    /**
     * Fit on the dev-only supplement (tasks/*-dev.txt) too. By default it is measured (its held-out
     * folds), not fitted on: fitted, it moved weight to popularity and cost the paper-style prompts.
     */
    "fit-supplement": { type: "boolean" },
  },
});
const root = projectRoot();
const lexicalOverride = args.lexical ? (JSON.parse(args.lexical) as Record<string, Record<string, number>>) : {};
const defaults = RagConfigSchema.parse({}).lexical;
// RagConfigSchema validates the merged result (unknown fields and negative weights are refused).
const config = RagConfigSchema.parse({
  ...(args["min-relevance"] ? { minRelevance: Number(args["min-relevance"]) } : {}),
  ...(args.data ? { dataDir: args.data } : {}),
  lexical: {
    ...lexicalOverride,
    weights: { ...defaults.weights, ...lexicalOverride.weights },
    b: { ...defaults.b, ...lexicalOverride.b },
  },
});
const dropped = new Set(args.drop.split(",").filter(Boolean));
const names = (args.features ? args.features.split(",") : Object.keys(FEATURES)).filter((n) => !dropped.has(n));
for (const n of names) if (!(n in FEATURES)) throw new Error(`unknown feature ${n}; known: ${Object.keys(FEATURES).join(", ")}`);
const fitOpts: FitOptions = { l2: Number(args.l2), epochs: Number(args.epochs), learningRate: 0.05 };
const folds = Number(args.folds);

interface Task { ecosystem: "pypi" | "npm"; prompt: string; answers: string[]; split: string; source?: "supplement" }
const tasks = readFileSync(path.join(root, "rag-index/bench/tasks.jsonl"), "utf8").trim().split("\n")
  .map((l) => JSON.parse(l) as Task)
  .filter((t) => t.split === "dev" && t.answers.length > 0);
const fitsOn = (t: Task): boolean => args["fit-supplement"] === true || t.source !== "supplement";

const { rows } = indexRows(path.resolve(root, config.dataDir));
const docs: LexicalDoc[] = rows.map(lexicalDoc);
const lexical = new LexicalIndex(docs, config.lexical);

interface Example extends TrainingList { task: Task; coverage: number[]; packages: string[] }
// The supplement's figures apart, so that the main dev split's stay comparable with and without it.
const setOf = (e: Example): string => `${e.task.ecosystem}${e.task.source === "supplement" ? " supplement" : ""}`;
const examples: Example[] = tasks.map((task) => {
  const query = normaliseQuery(task.prompt);
  const hits = firstStage(lexical, query, { ecosystem: task.ecosystem, limit: config.rerank.candidates, withoutPrior: config.rerank.withoutPrior });
  const good = new Set(task.answers.map((a) => a.toLowerCase()));
  return {
    task,
    rows: featureRows(hits, new Set(terms(query)), names),
    good: hits.map((h) => good.has(h.doc.package.toLowerCase())),
    coverage: hits.map((h) => h.coverage),
    packages: hits.map((h) => h.doc.package),
  };
});

// The reranker can only order what the first stage found: how many tasks have an answer among the candidates.
const withAnswer: Record<string, string> = {};
for (const eco of new Set(examples.map(setOf))) {
  const set = examples.filter((e) => setOf(e) === eco);
  withAnswer[eco] = `${set.filter((e) => e.good.some(Boolean)).length}/${set.length}`;
}
console.log(`tasks with an answer among the first stage's candidates: ${Object.entries(withAnswer).map(([k, v]) => `${k} ${v}`).join(", ")}`);

function metrics(model: LinearModel, set: Example[], printMisses = false): Record<string, { recall: number; mrr: number; n: number }> {
  const out: Record<string, { recall: number; mrr: number; n: number }> = {};
  for (const ex of set) {
    const order = ex.rows.map((r, i) => ({ i, s: linearScore(model, r) }))
      .filter(({ i }) => ex.coverage[i]! >= config.minRelevance)
      .sort((a, b) => b.s - a.s).slice(0, config.topK);
    const rank = order.findIndex(({ i }) => ex.good[i]);
    if (rank < 0 && printMisses) console.log(`miss ${ex.task.ecosystem}: ${ex.task.prompt} [${ex.task.answers.join(", ")}] → ${order.map(({ i }) => ex.packages[i]).join(", ")}`);
    const s = (out[setOf(ex)] ??= { recall: 0, mrr: 0, n: 0 });
    s.n += 1;
    if (rank >= 0) { s.recall += 1; s.mrr += 1 / (rank + 1); }
  }
  return out;
}
// Folds by a salted hash of the prompt; each repeat re-draws them (a few hundred tasks: one
// task is 0.6–0.7 points of recall, so one draw of folds is noisy).
const repeats = Number(args.repeats);
const fold = (t: Task, r: number): number => parseInt(createHash("sha1").update(`${r}|${t.prompt}`).digest("hex").slice(0, 8), 16) % folds;

const cv: Record<string, { recall: number; mrr: number; n: number }> = {};
for (let r = 0; r < repeats; r++) {
  for (let k = 0; k < folds; k++) {
    const model = fitLinear(examples.filter((e) => fold(e.task, r) !== k && fitsOn(e.task)), fitOpts);
    for (const [eco, s] of Object.entries(metrics(model, examples.filter((e) => fold(e.task, r) === k), args.misses && r === 0))) {
      const a = (cv[eco] ??= { recall: 0, mrr: 0, n: 0 });
      a.recall += s.recall; a.mrr += s.mrr; a.n += s.n;
    }
  }
}
const cvFigures = Object.fromEntries(Object.entries(cv).map(([eco, s]) => [eco, { recall5: +(s.recall / s.n).toFixed(3), mrr: +(s.mrr / s.n).toFixed(3), tasks: s.n / repeats }]));
console.log(`dev ${repeats}×${folds}-fold CV (threshold ${config.minRelevance}): ${Object.entries(cvFigures).map(([e, s]) => `${e} recall@5 ${s.recall5} MRR ${s.mrr}`).join(", ")}`);

if (!args["cv-only"]) {
  const fitted = fitLinear(examples.filter((e) => fitsOn(e.task)), fitOpts);
  const model: RankerModel = {
    version: 1,
    features: names,
    ...fitted,
    trained: {
      on: `rag-index/bench/tasks.jsonl, dev split (${tasks.filter(fitsOn).length} tasks, ${tasks.filter((t) => fitsOn(t) && t.source === "supplement").length} of them the supplement)`,
      candidates: config.rerank,
      lexical: config.lexical,
      fit: fitOpts,
      cv: { folds, repeats, minRelevance: config.minRelevance, ...cvFigures },
    },
  };
  const round = (xs: number[]): number[] => xs.map((x) => Math.round(x * 1e6) / 1e6);
  writeFileSync(path.resolve(root, args.out), `${JSON.stringify({ ...model, mean: round(model.mean), scale: round(model.scale), weights: round(model.weights) }, null, 1)}\n`);
  console.log(names.map((n, j) => `${n} ${fitted.weights[j]!.toFixed(2)}`).join(", "));
}
