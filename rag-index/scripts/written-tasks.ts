/**
 * Turns tasks written for packages into the side files rag-index/data/pypi-uses.tsv.gz and
 * npm-uses.tsv.gz (`name`, `tasks`), which the lexical index reads into the task-text field.
 * The writers' files are `<ecosystem>*.tsv[.gz]` in --from (rag-index/data/written/, with the brief
 * they were given), each line `name<TAB>task | task | task`; rag-index/data/README.md says who wrote
 * them. Checks and the held-out rule: written.ts. Rerun it when the benchmark sets change.
 *
 *   npx tsx rag-index/scripts/written-tasks.ts [--from rag-index/data/written] [--out rag-index/data]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Ecosystem } from "../../src/packages/types.js";
import { ECOSYSTEMS, readSelection } from "../../src/rag/selection.js";
import { projectRoot } from "../../src/util/paths.js";
import { checkWritten, heldOut, usesTsv, type HeldOutPrompt } from "./written.js";

const { values: args } = parseArgs({
  options: { from: { type: "string", default: "rag-index/data/written" }, out: { type: "string", default: "rag-index/data" } },
});
const root = projectRoot();
const from = path.resolve(root, args.from);
const dataDir = path.resolve(root, args.out);

interface BenchRow { ecosystem: Ecosystem; prompt: string; answers: string[]; split?: string }
const jsonl = (file: string): BenchRow[] =>
  readFileSync(path.join(root, file), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as BenchRow);
// Held out: every prompt of the task set and the old labelled set. Test figures then measure prompts
// the texts do not paraphrase, and the ranker, fitted on dev, learns under the same condition.
const benchmark = [...jsonl("rag-index/bench/tasks.jsonl"), ...jsonl("rag-index/bench/labelled.jsonl")];

for (const ecosystem of ECOSYSTEMS) {
  // The selection without the current side file: the names, in order.
  const order = readSelection(dataDir, ecosystem).map((e) => e.name);
  const known = new Map(order.map((n) => [n.toLowerCase(), n]));
  const prompts: HeldOutPrompt[] = benchmark.filter((r) => r.ecosystem === ecosystem).map((r) => heldOut(r.prompt, r.answers));
  const files = readdirSync(from).filter((f) => f.startsWith(ecosystem) && /\.tsv(\.gz)?$/.test(f)).sort();
  const read = (f: string): string => (f.endsWith(".gz") ? gunzipSync(readFileSync(path.join(from, f))) : readFileSync(path.join(from, f))).toString("utf8");
  const lines = files.flatMap((f) => read(f).split("\n"));
  const { uses, stats } = checkWritten(lines, known, prompts);
  writeFileSync(path.join(dataDir, `${ecosystem}-uses.tsv.gz`), gzipSync(usesTsv(uses, order), { level: 9 }));
  console.log(`${ecosystem}: ${files.length} files, ${uses.size} packages, ${JSON.stringify(stats)}`);
}
