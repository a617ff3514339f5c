/**
 * A minimal HumanEval pass@1 harness for comparing a base model with its adapter (one greedy sample per
 * problem): program = completion (or prompt + completion when the answer does not define the function) +
 * test + check(entry_point), run by python3 in a fresh temp dir with a 5 s timeout. Not a security sandbox:
 * run it only on a machine where the model's code may run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";

export const ProblemSchema = z.object({
  task_id: z.string(),
  prompt: z.string(),
  test: z.string(),
  entry_point: z.string(),
  canonical_solution: z.string().optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

export function readProblems(path: string): Problem[] {
  const text = gunzipSync(readFileSync(path)).toString("utf8");
  return text.split("\n").filter((l) => l.trim()).map((l) => ProblemSchema.parse(JSON.parse(l)));
}

export const HUMANEVAL_SYSTEM =
  "You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use.";

export function humanevalUser(p: Problem): string {
  return `Generate Python code that completes this function:\n\`\`\`python\n${p.prompt}\`\`\``;
}

/** The python code of an answer: its python fenced blocks, else the whole text. */
export function codeOf(answer: string): string {
  const blocks = [...answer.matchAll(/```(?:python|py)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.length ? blocks.join("\n") : answer;
}

export function programOf(p: Problem, answer: string): string {
  const code = codeOf(answer);
  const defines = new RegExp(`^def\\s+${p.entry_point}\\s*\\(`, "m").test(code);
  const body = defines ? `${p.prompt.split(`def ${p.entry_point}`)[0] ?? ""}\n${code}` : p.prompt + code;
  return `${body}\n\n${p.test}\n\ncheck(${p.entry_point})\n`;
}

export function runProgram(program: string, timeoutMs = 5000): boolean {
  const dir = mkdtempSync(join(tmpdir(), "ft-he-"));
  try {
    writeFileSync(join(dir, "prog.py"), program);
    const r = spawnSync("python3", ["prog.py"], { cwd: dir, timeout: timeoutMs, stdio: "ignore" });
    return r.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
