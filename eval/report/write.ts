/** Writes summary.json, report.md and report.html for a run folder. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EvalConfig } from "../config.js";
import { summarize, type Summary } from "../metrics.js";
import type { NameIndex } from "../names.js";
import type { Builtins } from "../heuristics.js";
import { latestByKey, readRecords } from "../records.js";
import { loadPaperFigures } from "./paper.js";
import { renderHtml, renderMarkdown, type ReportMeta } from "./render.js";

export function writeReport(opts: {
  outDir: string;
  cfg: Pick<EvalConfig, "unknownAs" | "bootstrap"> & Partial<Pick<EvalConfig, "models" | "profiles">>;
  index?: NameIndex;
  builtins?: Builtins;
  meta: ReportMeta;
}): { summary: Summary; files: string[] } {
  const records = [...latestByKey(readRecords(join(opts.outDir, "results.jsonl"))).values()];
  const summary = summarize(records, { unknownAs: opts.cfg.unknownAs, resamples: opts.cfg.bootstrap.resamples, seed: opts.cfg.bootstrap.seed, index: opts.index, builtins: opts.builtins, order: { models: opts.cfg.models, profiles: opts.cfg.profiles } });
  const paper = loadPaperFigures();
  const files = [join(opts.outDir, "summary.json"), join(opts.outDir, "report.md"), join(opts.outDir, "report.html")];
  writeFileSync(files[0]!, `${JSON.stringify({ meta: opts.meta, ...summary, paper: paper.quoted }, null, 2)}\n`);
  writeFileSync(files[1]!, renderMarkdown(summary, paper, opts.meta));
  writeFileSync(files[2]!, renderHtml(summary, paper, opts.meta));
  return { summary, files };
}
