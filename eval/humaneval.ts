/**
 * HumanEval (Python) and HumanEval-X (JavaScript): code extraction, program assembly
 * as the official harnesses do it, and sandboxed execution.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import pLimit from "p-limit";
import { z } from "zod";
import { runSandboxed, type SandboxLimits, type SandboxResult } from "./sandbox.js";
import { passAtK } from "./stats.js";

export const HumanEvalTaskSchema = z.looseObject({
  task_id: z.string(),
  prompt: z.string(),
  canonical_solution: z.string(),
  test: z.string(),
  entry_point: z.string().optional(),
  declaration: z.string().optional(),
});
export type HumanEvalTask = z.infer<typeof HumanEvalTaskSchema> & { language: "python" | "javascript" };

/** Canonical JS solutions that fail their own tests (HumanEval-X data bugs). */
export const JS_KNOWN_BROKEN = new Set(["JavaScript/112", "JavaScript/155"]);
/** Needs the npm package js-md5: excluded, since the sandbox has no network and no packages. */
export const JS_EXCLUDED = new Set(["JavaScript/162"]);

export function loadHumanEval(path: string, language: "python" | "javascript"): HumanEvalTask[] {
  const text = gunzipSync(readFileSync(path)).toString("utf8");
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => ({ ...HumanEvalTaskSchema.parse(JSON.parse(l)), language }))
    .filter((t) => !(language === "javascript" && JS_EXCLUDED.has(t.task_id)));
}

/** JS tasks name their function in the declaration; Python tasks in entry_point. */
export function entryPoint(task: HumanEvalTask): string {
  if (task.entry_point) return task.entry_point;
  const m = /(?:const|function|let|var)\s+([A-Za-z_$][\w$]*)/.exec(task.declaration ?? task.prompt);
  return m?.[1] ?? "";
}

const FENCE = /```([\w+-]*)[^\n]*\n([\s\S]*?)(?:```|$)/g;

/** The first fenced block in the task's language (else the first fence, else the whole answer). */
export function extractCode(answer: string, language: "python" | "javascript"): string {
  const blocks = [...answer.matchAll(FENCE)].map((m) => ({ lang: (m[1] ?? "").toLowerCase(), code: m[2] ?? "" }));
  const wanted = language === "python" ? ["python", "py", "python3"] : ["javascript", "js", "node", "jsx"];
  const hit = blocks.find((b) => wanted.includes(b.lang)) ?? blocks.find((b) => b.lang === "") ?? blocks[0];
  return hit ? hit.code : answer;
}

function definesEntry(code: string, task: HumanEvalTask): boolean {
  const name = entryPoint(task).replace(/[$]/g, "\\$");
  const re =
    task.language === "python"
      ? new RegExp(`^def\\s+${name}\\s*\\(`, "m")
      : // Top level only: a body may well declare a local with the function's own name (JS/106).
        new RegExp(`^(?:async\\s+)?(?:function\\s+${name}\\s*\\(|(?:const|let|var)\\s+${name}\\s*=)`, "m");
  return re.test(code);
}

/**
 * Full function: kept after the prompt in Python (the prompt's stub is a valid docstring-only
 * function that the answer redefines) and alone in JS (redeclaring a const is an error).
 * Completion: appended to the prompt, as the official harnesses do.
 */
export function buildProgram(task: HumanEvalTask, completionOrAnswer: string, options: { raw?: boolean } = {}): string {
  const code = options.raw ? completionOrAnswer : extractCode(completionOrAnswer, task.language);
  const full = definesEntry(code, task);
  if (task.language === "python") {
    const body = full ? `${task.prompt}\n${code}` : task.prompt + code;
    return `${body}\n${task.test}\ncheck(${entryPoint(task)})\n`;
  }
  const body = full ? code : task.prompt + code;
  return `${body}\n${task.test}\n`;
}

export interface ExecOutcome {
  task_id: string;
  passed: boolean;
  status: SandboxResult["status"];
  exitCode: number | null;
  durationMs: number;
  sandbox: SandboxResult["sandbox"];
  stderrTail: string;
}

export interface Interpreters {
  python: string;
  node: string;
}
export const DEFAULT_INTERPRETERS: Interpreters = { python: "/usr/bin/python3", node: "/usr/bin/node" };

export async function executeTask(
  task: HumanEvalTask,
  program: string,
  options: { limits?: Partial<SandboxLimits>; interpreters?: Interpreters; mode?: "bwrap" | "unsandboxed" } = {},
): Promise<ExecOutcome> {
  const interp = options.interpreters ?? DEFAULT_INTERPRETERS;
  const argv = task.language === "python" ? [interp.python, "-"] : [interp.node, "-"];
  const r = await runSandboxed({ argv, stdin: program, limits: options.limits, mode: options.mode });
  // HumanEval-X's console.assert only prints, so any stderr output is a failure there.
  const passed = r.status === "exited" && r.exitCode === 0 && (task.language === "python" || r.stderr.trim() === "");
  return { task_id: task.task_id, passed, status: r.status, exitCode: r.exitCode, durationMs: r.durationMs, sandbox: r.sandbox, stderrTail: r.stderr.slice(0, 400) };
}

export interface SanityReport {
  language: "python" | "javascript";
  total: number;
  passed: number;
  failed: string[];
  /** Failures that are known data bugs (JS 112 and 155). */
  expectedFailures: string[];
  excluded: string[];
  ok: boolean;
  wallMs: number;
  sandbox: SandboxResult["sandbox"];
}

/** Runs every canonical solution; ok when exactly the known-broken tasks fail. */
export async function canonicalSanity(
  tasks: HumanEvalTask[],
  options: { concurrency?: number; limits?: Partial<SandboxLimits>; mode?: "bwrap" | "unsandboxed" } = {},
): Promise<SanityReport & { outcomes: ExecOutcome[] }> {
  const limit = pLimit(options.concurrency ?? 2);
  const t0 = performance.now();
  const outcomes = await Promise.all(
    tasks.map((t) => limit(() => executeTask(t, buildProgram(t, t.canonical_solution, { raw: true }), options))),
  );
  const language = tasks[0]?.language ?? "python";
  const failed = outcomes.filter((o) => !o.passed).map((o) => o.task_id);
  const expected = language === "javascript" ? [...JS_KNOWN_BROKEN] : [];
  const ok = failed.length === expected.filter((id) => tasks.some((t) => t.task_id === id)).length && failed.every((id) => expected.includes(id));
  return {
    language,
    total: tasks.length,
    passed: outcomes.length - failed.length,
    failed,
    expectedFailures: expected,
    excluded: language === "javascript" ? [...JS_EXCLUDED] : [],
    ok,
    wallMs: performance.now() - t0,
    sandbox: outcomes[0]?.sandbox ?? "bwrap",
    outcomes,
  };
}

/** pass@k averaged over problems, from per-problem sample counts. */
export function passAtKOverTasks(results: { task_id: string; passed: boolean }[], k = 1): number {
  const byTask = new Map<string, { n: number; c: number }>();
  for (const r of results) {
    const e = byTask.get(r.task_id) ?? { n: 0, c: 0 };
    e.n += 1;
    if (r.passed) e.c += 1;
    byTask.set(r.task_id, e);
  }
  if (byTask.size === 0) return NaN;
  let s = 0;
  for (const { n, c } of byTask.values()) s += passAtK(n, c, k);
  return s / byTask.size;
}
