/**
 * Plans models × profiles × temperatures × datasets × repeats, runs the items with
 * bounded concurrency, streams each result to results.jsonl, and skips items that a
 * previous (killed) run already finished.
 */
import { join, resolve } from "node:path";
import cliProgress from "cli-progress";
import type OpenAI from "openai";
import pLimit from "p-limit";
import type { PackageChecker } from "../src/packages/types.js";
import { chat, createClient } from "./client.js";
import type { EvalConfig } from "./config.js";
import { loadDataset, h3User, type EvalPrompt, type HumanEvalPrompt, type PackagePrompt } from "./datasets.js";
import { h1Packages, listPackages, type Builtins } from "./heuristics.js";
import { buildProgram, executeTask } from "./humaneval.js";
import { ecosystemOf, fill } from "./prompts.js";
import { itemKey, latestByKey, readRecords, RecordWriter, type EvalRecord } from "./records.js";
import { isHallucination } from "./metrics.js";

export interface WorkItem {
  key: string;
  prompt: EvalPrompt;
  model: string;
  profile: string;
  temperature: number;
  repeat: number;
}

/**
 * Prompts are interleaved across datasets, and every model × profile × temperature ×
 * repeat of one prompt is queued together, so any prefix of a run (stopped early for
 * time) compares the profiles on the same prompts.
 */
export function planItems(cfg: EvalConfig, baseDir?: string): WorkItem[] {
  const sets = cfg.datasets.map((spec) => loadDataset(spec, { sample: cfg.sample, seed: cfg.seed, baseDir }));
  const items: WorkItem[] = [];
  const longest = Math.max(0, ...sets.map((s) => s.length));
  for (let i = 0; i < longest; i++)
    for (const prompts of sets) {
      const prompt = prompts[i];
      if (!prompt) continue;
      for (const model of cfg.models)
        for (const profile of cfg.profiles)
          for (const temperature of cfg.temperatures)
            for (let repeat = 0; repeat < cfg.repeats; repeat++) {
              const key = itemKey({ dataset: prompt.dataset, promptId: prompt.id, model, profile, temperature, repeat });
              items.push({ key, prompt, model, profile, temperature, repeat });
            }
    }
  return items;
}

interface Deps {
  cfg: EvalConfig;
  client: OpenAI;
  checker: PackageChecker;
  builtins?: Builtins;
  signal?: AbortSignal;
}

/** src/packages' checker carries its snapshot's stdlib and builtin lists; other checkers may not. */
function builtinsOf(checker: PackageChecker): Builtins | undefined {
  const snap = (checker as { snapshot?: Partial<Builtins> }).snapshot;
  return snap?.pythonStdlib && snap.nodeBuiltins ? { pythonStdlib: snap.pythonStdlib, nodeBuiltins: snap.nodeBuiltins } : undefined;
}

async function runPackageItem(d: Deps, item: WorkItem, p: PackagePrompt, rec: EvalRecord): Promise<void> {
  const { cfg } = d;
  const eco = ecosystemOf(p.language);
  const base = { model: item.model, profile: item.profile, signal: d.signal, ecosystem: eco };
  const listSystem = fill(cfg.templates.listSystem, p.language);
  rec.packages = {};
  if (cfg.heuristics.includes("h1") || cfg.heuristics.includes("h2")) {
    const code = await chat(d.client, cfg, { ...base, system: fill(cfg.templates.codeSystem, p.language), user: p.code, temperature: item.temperature, maxTokens: cfg.maxTokens.code });
    rec.calls.code = code;
    if (cfg.heuristics.includes("h1")) rec.packages.h1 = await h1Packages(d.checker, code.answer, eco, d.signal);
    if (cfg.heuristics.includes("h2")) {
      const user = fill(cfg.templates.h2User, p.language, { code: code.answer });
      const h2 = await chat(d.client, cfg, { ...base, system: listSystem, user, temperature: cfg.listTemperature, maxTokens: cfg.maxTokens.list });
      rec.calls.h2 = h2;
      rec.packages.h2 = await listPackages(d.checker, h2.answer, eco, d.signal, d.builtins);
    }
  }
  if (cfg.heuristics.includes("h3")) {
    const h3 = await chat(d.client, cfg, { ...base, system: listSystem, user: h3User(p, cfg.templates.h3User), temperature: cfg.listTemperature, maxTokens: cfg.maxTokens.list });
    rec.calls.h3 = h3;
    rec.packages.h3 = await listPackages(d.checker, h3.answer, eco, d.signal, d.builtins);
  }
}

async function runHumanEvalItem(d: Deps, item: WorkItem, p: HumanEvalPrompt, rec: EvalRecord): Promise<void> {
  const { cfg } = d;
  const call = await chat(d.client, cfg, {
    model: item.model,
    profile: item.profile,
    signal: d.signal,
    ecosystem: ecosystemOf(p.language),
    system: fill(cfg.templates.humanevalSystem, p.language),
    user: fill(cfg.templates.humanevalUser, p.language, { prompt: p.task.prompt }),
    temperature: item.temperature,
    maxTokens: cfg.maxTokens.code,
  });
  rec.calls.humaneval = call;
  const { task_id: _id, ...outcome } = await executeTask(p.task, buildProgram(p.task, call.answer), { limits: cfg.sandbox });
  rec.humaneval = outcome;
}

export async function runItem(d: Deps, item: WorkItem): Promise<EvalRecord> {
  const p = item.prompt;
  const t0 = performance.now();
  const rec: EvalRecord = {
    v: 1,
    key: item.key,
    kind: p.kind,
    dataset: p.dataset,
    language: p.language,
    promptId: p.id,
    model: item.model,
    profile: item.profile,
    temperature: item.temperature,
    repeat: item.repeat,
    prompt: p.kind === "package" ? p.code : p.task.prompt,
    calls: {},
    ms: 0,
    finishedAt: "",
  };
  if (p.kind === "package" && p.expected) rec.expected = p.expected;
  try {
    if (p.kind === "package") await runPackageItem(d, item, p, rec);
    else await runHumanEvalItem(d, item, p, rec);
  } catch (err) {
    rec.error = (err as Error).message || String(err);
  }
  rec.ms = Math.round(performance.now() - t0);
  rec.finishedAt = new Date().toISOString();
  return rec;
}

export interface RunOptions {
  checker: PackageChecker;
  baseDir?: string;
  progress?: boolean;
  signal?: AbortSignal;
  /** Called after each record is on disk (tests use it to kill a run midway). */
  onRecord?: (r: EvalRecord, done: number, total: number) => void;
}

export interface RunResult {
  resultsPath: string;
  total: number;
  skipped: number;
  ran: number;
  errors: number;
  wallMs: number;
}

function runningRate(records: Iterable<EvalRecord>, unknownAs: EvalConfig["unknownAs"]): { h: number; n: number } {
  let h = 0;
  let n = 0;
  for (const r of records)
    for (const list of Object.values(r.packages ?? {}))
      for (const p of list ?? []) {
        const v = isHallucination(p.verdict, unknownAs);
        if (v === null) continue;
        n++;
        if (v) h++;
      }
  return { h, n };
}

export async function runEval(cfg: EvalConfig, options: RunOptions): Promise<RunResult> {
  const outDir = resolve(options.baseDir ?? process.cwd(), cfg.out);
  const resultsPath = join(outDir, "results.jsonl");
  const done = latestByKey(readRecords(resultsPath));
  const items = planItems(cfg, options.baseDir);
  const todo = items.filter((i) => !done.get(i.key) || done.get(i.key)?.error);
  const writer = new RecordWriter(resultsPath);
  const client = createClient(cfg.target);
  const builtins = builtinsOf(options.checker);
  const limit = pLimit(cfg.concurrency);
  const planned = new Set(items.map((i) => i.key));
  const finished = [...done.values()].filter((r) => !r.error && planned.has(r.key));
  let { h, n } = runningRate(finished, cfg.unknownAs);
  let count = items.length - todo.length;
  let errors = 0;
  const bar = options.progress
    ? new cliProgress.SingleBar(
        { format: "eval {bar} {value}/{total} | {speed} items/s | ETA {eta_formatted} | hallucination {rate} | errors {errors}", hideCursor: true, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5000, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const t0 = performance.now();
  const fmtRate = () => (n > 0 ? `${((100 * h) / n).toFixed(1)}% (${h}/${n})` : "-");
  bar?.start(items.length, count, { speed: "0.00", rate: fmtRate(), errors });
  await Promise.all(
    todo.map((item) =>
      limit(async () => {
        if (options.signal?.aborted) return;
        const rec = await runItem({ cfg, client, checker: options.checker, builtins, signal: options.signal }, item);
        if (options.signal?.aborted) return;
        writer.write(rec);
        count++;
        if (rec.error) errors++;
        else {
          const r = runningRate([rec], cfg.unknownAs);
          h += r.h;
          n += r.n;
        }
        const secs = (performance.now() - t0) / 1000;
        bar?.update(count, { speed: ((count - (items.length - todo.length)) / Math.max(secs, 1e-3)).toFixed(2), rate: fmtRate(), errors });
        options.onRecord?.(rec, count, items.length);
      }),
    ),
  );
  bar?.stop();
  // Items written in this run, not planned ones: a stopped run must not claim work it did not do.
  const skipped = items.length - todo.length;
  return { resultsPath, total: items.length, skipped, ran: count - skipped, errors, wallMs: performance.now() - t0 };
}
