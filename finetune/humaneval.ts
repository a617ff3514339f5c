/**
 * HumanEval pass@1 for comparing a base model with its adapter (one greedy sample per problem),
 * through the eval module's harness: the same program layout and the same sandbox (bubblewrap,
 * or rlimits + timeout where it cannot run), since the model's code is untrusted.
 */
import { buildProgram, executeTask, loadHumanEval, type HumanEvalTask } from "../eval/humaneval.js";

export type Problem = HumanEvalTask;

export function readProblems(path: string): Problem[] {
  return loadHumanEval(path, "python");
}

export const HUMANEVAL_SYSTEM =
  "You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use.";

export function humanevalUser(p: Problem): string {
  return `Generate Python code that completes this function:\n\`\`\`python\n${p.prompt}\`\`\``;
}

/** Whether each answer passes its problem's tests, run one at a time in the sandbox. */
export async function passes(problems: Problem[], answers: string[]): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const [i, p] of problems.entries()) out.push((await executeTask(p, buildProgram(p, answers[i] ?? ""))).passed);
  return out;
}
