/**
 * `npm run bench:eval`: the sandbox's cost. All 164 HumanEval canonical solutions
 * (and the 163 HumanEval-X JS ones) on 2 workers, through bubblewrap and through the
 * rlimit-only fallback, alternated in one process so that machine noise hits both.
 * Flags: --rounds N (default 2), --js (also JavaScript).
 */
import { join } from "node:path";
import { dataEvalDir } from "../eval/datasets.js";
import { canonicalSanity, loadHumanEval, type HumanEvalTask } from "../eval/humaneval.js";
import { sandboxMode } from "../eval/sandbox.js";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 2) || 2;
const withJs = args.includes("--js");

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function measure(name: string, tasks: HumanEvalTask[]): Promise<void> {
  const times: Record<"bwrap" | "unsandboxed", number[]> = { bwrap: [], unsandboxed: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? (["bwrap", "unsandboxed"] as const) : (["unsandboxed", "bwrap"] as const)) {
      const res = await canonicalSanity(tasks, { concurrency: 2, mode });
      if (!res.ok) throw new Error(`${name} ${mode}: unexpected failures ${res.failed.join(", ")}`);
      times[mode].push(res.wallMs / 1000);
      console.log(`${name} round ${r + 1} ${mode.padEnd(11)} ${res.passed}/${res.total} passed in ${(res.wallMs / 1000).toFixed(2)} s`);
    }
  }
  const b = median(times.bwrap);
  const u = median(times.unsandboxed);
  console.log(`${name}: bwrap median ${b.toFixed(2)} s, unsandboxed median ${u.toFixed(2)} s, ratio ${(b / u).toFixed(2)}x (${((1000 * (b - u)) / tasks.length).toFixed(1)} ms per task on 2 workers)`);
}

console.log(`sandbox detected: ${sandboxMode()}; ${rounds} rounds, 2 workers`);
await measure("python (164)", loadHumanEval(join(dataEvalDir(), "humaneval", "HumanEval.jsonl.gz"), "python"));
if (withJs) await measure("javascript (163)", loadHumanEval(join(dataEvalDir(), "humaneval", "humaneval_js.jsonl.gz"), "javascript"));
