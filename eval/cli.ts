/**
 * `slopguard eval`: run a config (or flags) against an OpenAI-compatible target,
 * write results.jsonl as items finish, then report.html / report.md / summary.json.
 * `--sanity` runs the HumanEval canonical solutions through the sandbox instead.
 */
import { setMaxListeners } from "node:events";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { createPackageChecker, type SlopguardPackageChecker } from "../src/packages/index.js";
import { readEvalConfigFile, parseEvalConfig, type EvalConfig } from "./config.js";
import { dataEvalDir } from "./datasets.js";
import { canonicalSanity, loadHumanEval } from "./humaneval.js";
import { nameIndex } from "./names.js";
import type { ReportMeta } from "./report/render.js";
import { writeReport } from "./report/write.js";
import { runEval } from "./runner.js";
import { sandboxMode } from "./sandbox.js";
import { serveForEval, type ServedGateway } from "./serve.js";

interface Flags {
  config?: string;
  baseUrl?: string;
  apiKey?: string;
  model?: string[];
  profile?: string[];
  profileVia?: "header" | "suffix";
  dataset?: string[];
  sample?: string;
  seed?: string;
  temperature?: string[];
  repeats?: string;
  concurrency?: string;
  maxTokens?: string;
  heuristics?: string;
  out?: string;
  reportOnly?: boolean;
  progress: boolean;
  sanity?: boolean;
  serve?: string | true;
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",").map((s) => s.trim()).filter(Boolean)];

/** `paper:python`, `testbed:heldout_pypi`, `humaneval:javascript`, or a path to a .jsonl file. */
export function parseDatasetFlag(v: string): Record<string, string> {
  const [kind, arg] = v.split(":", 2);
  if (kind === "paper" || kind === "humaneval") return { kind, language: arg ?? "python" };
  if (kind === "testbed") return { kind, set: arg ?? "heldout_pypi" };
  return { kind: "jsonl", path: v };
}

function flagOverrides(f: Flags): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (f.baseUrl || f.apiKey || f.profileVia || f.serve) {
    // An explicit --base-url means "that server", even when the config file says serve.
    const serve = f.serve ?? (f.baseUrl ? false : undefined);
    o.target = { baseURL: f.baseUrl, serve, ...(f.apiKey ? { apiKey: f.apiKey } : {}), ...(f.profileVia ? { profileVia: f.profileVia } : {}) };
  }
  if (f.model) o.models = f.model;
  if (f.profile) o.profiles = f.profile;
  if (f.dataset) o.datasets = f.dataset.map(parseDatasetFlag);
  if (f.sample) o.sample = Number(f.sample);
  if (f.seed) o.seed = Number(f.seed);
  if (f.temperature) o.temperatures = f.temperature.map(Number);
  if (f.repeats) o.repeats = Number(f.repeats);
  if (f.concurrency) o.concurrency = Number(f.concurrency);
  if (f.maxTokens) {
    const [code, list] = f.maxTokens.split(",").map(Number);
    o.maxTokens = { code, list: list ?? 64 };
  }
  if (f.heuristics) o.heuristics = f.heuristics.split(",");
  if (f.out) o.out = f.out;
  return o;
}

export function loadConfig(f: Flags): EvalConfig {
  const o = flagOverrides(f);
  if (f.config) {
    const base = readEvalConfigFile(f.config);
    // Flags win over the file; the target merges field by field.
    const target = { ...((base.target as object) ?? {}), ...Object.fromEntries(Object.entries((o.target as object) ?? {}).filter(([, v]) => v !== undefined)) };
    // `-n` also beats per-dataset sizes, so `-n 5` is a quick trial of any config.
    const datasets = o.sample !== undefined && !o.datasets && Array.isArray(base.datasets) ? base.datasets.map((d: Record<string, unknown>) => ({ ...d, sample: undefined })) : undefined;
    return parseEvalConfig({ ...base, ...o, target, ...(datasets ? { datasets } : {}) });
  }
  return parseEvalConfig(o);
}

async function sanity(): Promise<void> {
  const dir = join(dataEvalDir(), "humaneval");
  let ok = true;
  for (const [file, lang] of [["HumanEval.jsonl.gz", "python"], ["humaneval_js.jsonl.gz", "javascript"]] as const) {
    const r = await canonicalSanity(loadHumanEval(join(dir, file), lang), { concurrency: 2 });
    ok &&= r.ok;
    console.log(`${lang}: ${r.passed}/${r.total} canonical solutions pass in ${(r.wallMs / 1000).toFixed(1)} s (${r.sandbox}); failed: ${r.failed.join(", ") || "none"}; expected failures: ${r.expectedFailures.join(", ") || "none"}; excluded: ${r.excluded.join(", ") || "none"} -> ${r.ok ? "OK" : "UNEXPECTED"}`);
  }
  if (!ok) process.exitCode = 1;
}

/** Runs every item not yet on disk (starting slopguard first for `target.serve`); returns the wall time in s. */
async function run(cfg: EvalConfig, checker: SlopguardPackageChecker, progress: boolean): Promise<number> {
  const ac = new AbortController();
  // One signal is shared by every in-flight request.
  setMaxListeners(0, ac.signal);
  const onSig = () => ac.abort();
  process.once("SIGINT", onSig);
  let served: ServedGateway | undefined;
  try {
    served = cfg.target.serve === false ? undefined : await serveForEval({ config: cfg.target.serve, signal: ac.signal });
    if (served) cfg.target = { ...cfg.target, baseURL: served.baseURL, apiKey: cfg.target.apiKey ?? served.apiKey };
    const r = await runEval(cfg, { checker, progress, signal: ac.signal });
    const wall = r.wallMs / 1000;
    console.error(`eval: ${r.ran} items run, ${r.skipped} already done (resumed), ${r.errors} failed, ${wall.toFixed(1)} s -> ${r.resultsPath}`);
    return wall;
  } finally {
    process.off("SIGINT", onSig);
    await served?.close();
  }
}

/** The run's facts for the report header; `--report-only` keeps those of the run that made the results. */
function reportMeta(cfg: EvalConfig, opts: { argv: string[]; outDir: string; wallSeconds?: number }): ReportMeta {
  const previous = opts.wallSeconds === undefined ? readPreviousMeta(opts.outDir) : undefined;
  const needsSandbox = cfg.datasets.some((d) => d.kind === "humaneval");
  return {
    title: `slopguard eval: ${cfg.models.join(", ")} × ${cfg.profiles.join(", ")}`,
    target: previous?.target ?? (cfg.target.serve === false ? (cfg.target.baseURL ?? "") : `slopguard in-process (${cfg.target.serve === true ? "embedded default config" : cfg.target.serve})`),
    command: previous?.command ?? `slopguard eval ${opts.argv.slice(opts.argv.indexOf("eval") + 1).join(" ")}`.trim(),
    ...(needsSandbox ? { sandbox: sandboxMode() } : {}),
    ...(opts.wallSeconds !== undefined ? { wallSeconds: opts.wallSeconds } : previous?.wallSeconds !== undefined ? { wallSeconds: previous.wallSeconds } : {}),
  };
}

function readPreviousMeta(outDir: string): Partial<ReportMeta> | undefined {
  try {
    const meta = (JSON.parse(readFileSync(join(outDir, "summary.json"), "utf8")) as { meta?: Partial<ReportMeta> }).meta;
    return meta && typeof meta === "object" ? meta : undefined;
  } catch {
    return undefined;
  }
}

export async function evalCommand(f: Flags, argv: string[] = process.argv): Promise<void> {
  if (f.sanity) return sanity();
  const cfg = loadConfig(f);
  const outDir = resolve(cfg.out);
  const checker = createPackageChecker({ config: cfg.packages, watchlist: "memory" });
  try {
    const wallSeconds = f.reportOnly ? undefined : await run(cfg, checker, f.progress);
    const snap = checker.snapshot;
    const { files, summary } = writeReport({
      outDir,
      cfg,
      index: nameIndex({ pypi: snap.pypi.names, npm: snap.npm.names }),
      builtins: { pythonStdlib: snap.pythonStdlib, nodeBuiltins: snap.nodeBuiltins },
      meta: reportMeta(cfg, { argv, outDir, ...(wallSeconds !== undefined ? { wallSeconds } : {}) }),
    });
    if (summary.overall) console.log(`hallucination rate ${(summary.overall.rate.rate * 100).toFixed(2)}% (${summary.overall.rate.num}/${summary.overall.rate.den}) over ${summary.records} items`);
    console.log(`report: ${files.join(", ")}`);
  } finally {
    await checker.close();
  }
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("Measure package hallucinations and HumanEval pass@1 against any OpenAI-compatible endpoint")
    .option("-c, --config <file>", "eval config (YAML), e.g. eval/configs/testbed-mitigations.yaml")
    .option("--base-url <url>", "target base URL (slopguard or a model server), e.g. http://127.0.0.1:8080/v1")
    .option("--serve [config]", "start slopguard in-process and target it (embedded default config, or this gateway config)")
    .option("--api-key <key>", "target API key")
    .option("-m, --model <names>", "model(s), comma-separated or repeated", collect)
    .option("-p, --profile <names>", "mitigation profile(s); 'none' sends no profile", collect)
    .option("--profile-via <how>", "header (X-Slopguard-Profile) or suffix (model:profile)")
    .option("-d, --dataset <specs>", "paper:python|javascript, testbed:<set>, humaneval:python|javascript, or a .jsonl path", collect)
    .option("-n, --sample <n>", "prompts per dataset (seeded sample)")
    .option("--seed <n>", "sample seed")
    .option("-t, --temperature <values>", "code temperature(s), comma-separated", collect)
    .option("-r, --repeats <n>", "runs per prompt (persistence needs ≥ 2; the paper used 10 reruns)")
    .option("-j, --concurrency <n>", "requests in flight")
    .option("--max-tokens <code,list>", "max tokens for code and list answers (default 2048,64)")
    .option("--heuristics <list>", "h1,h2,h3")
    .option("-o, --out <dir>", "run folder (results.jsonl and reports); rerun to resume")
    .option("--report-only", "only (re)write the reports from results.jsonl")
    .option("--no-progress", "no progress bar")
    .option("--sanity", "run the HumanEval canonical solutions through the sandbox and exit")
    .action(async (f: Flags) => {
      try {
        await evalCommand(f);
      } catch (err) {
        console.error(`slopguard eval: ${(err as Error).message}`);
        process.exitCode = 2;
      }
    });
}
