/**
 * Prompt sets: the paper's all-time prompt files, the testbed's sets (with the package
 * each prompt was written from), HumanEval / HumanEval-X, and any JSONL of prompts.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { loadHumanEval, type HumanEvalTask } from "./humaneval.js";
import { fill, DEFAULT_TEMPLATES, taskFromCodePrompt, type Language } from "./prompts.js";
import { sampleSeeded } from "./stats.js";

export const DatasetSpecSchema = z.strictObject({
  /** Label in results and reports; defaults from kind/path. */
  name: z.string().min(1).optional(),
  kind: z.enum(["paper", "testbed", "humaneval", "jsonl"]),
  /** paper/humaneval: which language's file; jsonl: the prompts' language when lines do not say. */
  language: z.enum(["python", "javascript"]).optional(),
  /** testbed: heldout_pypi | seen_pypi | seen_tail_pypi | heldout_npm | seen_npm; jsonl: a file path. */
  set: z.string().optional(),
  path: z.string().optional(),
  /** Overrides the run's sample size for this dataset. */
  sample: z.number().int().positive().optional(),
});
export type DatasetSpec = z.infer<typeof DatasetSpecSchema>;

/** One prompt of a package-hallucination dataset. */
export interface PackagePrompt {
  kind: "package";
  id: string;
  dataset: string;
  language: Language;
  /** Code prompt (H1, H2). */
  code: string;
  /** H3 task sentence. */
  task: string;
  /** Exact listing prompt when the dataset has one (testbed `user`). */
  listUser?: string;
  /** The package the prompt was written from (task fit). */
  expected?: string;
}

export interface HumanEvalPrompt {
  kind: "humaneval";
  id: string;
  dataset: string;
  language: Language;
  task: HumanEvalTask;
}

export type EvalPrompt = PackagePrompt | HumanEvalPrompt;

const JsonlPromptSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  prompt: z.string().optional(),
  code_user: z.string().optional(),
  user: z.string().optional(),
  name: z.string().optional(),
  language: z.enum(["python", "javascript"]).optional(),
  registry: z.enum(["pypi", "npm"]).optional(),
});

/** Finds data/eval by walking up from this file (works from eval/ and dist/eval/). */
export function dataEvalDir(): string {
  return resolve(import.meta.dirname, "..", import.meta.dirname.includes("/dist/") ? ".." : "", "data", "eval");
}

function readMaybeGz(path: string): string {
  const buf = readFileSync(path);
  return (path.endsWith(".gz") ? gunzipSync(buf) : buf).toString("utf8");
}

function loadPaper(language: Language, name: string): PackagePrompt[] {
  const file = join(dataEvalDir(), "paper", language === "python" ? "Python_LLM_AT.json.gz" : "Javascript_LLM_AT.json.gz");
  const out: PackagePrompt[] = [];
  readMaybeGz(file)
    .split("\n")
    .forEach((line, i) => {
      let text: unknown;
      try {
        text = JSON.parse(line);
      } catch {
        return; // the Python file's first line is several prompts run together
      }
      // Multi-line prompts are fine; several numbered prompts run together (the malformed first line) are not.
      if (typeof text !== "string" || !/^generate/i.test(text.trim()) || /\n\s*\d+\.\s*"/.test(text)) return;
      out.push({ kind: "package", id: String(i + 1), dataset: name, language, code: text.trim(), task: taskFromCodePrompt(text) });
    });
  return out;
}

function loadJsonl(path: string, name: string, fallback: Language | undefined): PackagePrompt[] {
  return readMaybeGz(path)
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      const row = JsonlPromptSchema.parse(JSON.parse(l));
      const language: Language = row.language ?? (row.registry === "npm" ? "javascript" : row.registry === "pypi" ? "python" : (fallback ?? "python"));
      const code = row.code_user ?? row.prompt;
      if (!code) throw new Error(`${path}:${i + 1}: needs "prompt" or "code_user"`);
      const p: PackagePrompt = { kind: "package", id: String(row.id ?? i + 1), dataset: name, language, code, task: taskFromCodePrompt(code) };
      if (row.user) p.listUser = row.user;
      if (row.name) p.expected = row.name;
      return p;
    });
}

export function datasetName(spec: DatasetSpec): string {
  if (spec.name) return spec.name;
  if (spec.kind === "testbed") return `testbed/${spec.set}`;
  if (spec.kind === "jsonl") return spec.path ?? "jsonl";
  return `${spec.kind}/${spec.language ?? "python"}`;
}

export function loadDataset(spec: DatasetSpec, options: { sample?: number; seed: number; baseDir?: string }): EvalPrompt[] {
  const name = datasetName(spec);
  const n = spec.sample ?? options.sample;
  let all: EvalPrompt[];
  switch (spec.kind) {
    case "paper":
      all = loadPaper(spec.language ?? "python", name);
      break;
    case "testbed": {
      if (!spec.set || !/^[a-z_]+$/.test(spec.set)) throw new Error(`testbed dataset needs "set" (e.g. heldout_pypi)`);
      all = loadJsonl(join(dataEvalDir(), "testbed", `${spec.set}.jsonl.gz`), name, undefined);
      break;
    }
    case "humaneval": {
      const language = spec.language ?? "python";
      const file = join(dataEvalDir(), "humaneval", language === "python" ? "HumanEval.jsonl.gz" : "humaneval_js.jsonl.gz");
      all = loadHumanEval(file, language).map((task) => ({ kind: "humaneval" as const, id: task.task_id, dataset: name, language, task }));
      break;
    }
    case "jsonl": {
      if (!spec.path) throw new Error(`jsonl dataset needs "path"`);
      const p = isAbsolute(spec.path) ? spec.path : resolve(options.baseDir ?? process.cwd(), spec.path);
      all = loadJsonl(p, name, spec.language);
      break;
    }
  }
  return sampleSeeded(all, n, options.seed);
}

/** H3 user message: the dataset's own listing prompt, else the paper's template. */
export function h3User(p: PackagePrompt, template = DEFAULT_TEMPLATES.h3User): string {
  return p.listUser ?? fill(template, p.language, { task: p.task });
}
