/**
 * A run killed with SIGKILL midway resumes without redoing finished items, and
 * HumanEval pass@1 through a scripted upstream that returns the canonical solutions
 * (fenced full functions and bare completions) is 1.0, and 0.0 for wrong code.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, type SlopguardPackageChecker } from "../../src/packages/index.js";
import { parseEvalConfig } from "../../eval/config.js";
import { dataEvalDir } from "../../eval/datasets.js";
import { loadHumanEval } from "../../eval/humaneval.js";
import { humanevalGroups } from "../../eval/metrics.js";
import { latestByKey, readRecords } from "../../eval/records.js";
import { runEval } from "../../eval/runner.js";
import { startScriptedUpstream } from "../helpers/scripted-upstream.js";

let dir: string;
let checker: SlopguardPackageChecker;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "sg-eval-resume-"));
  checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
});
afterAll(async () => {
  await checker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("resume after a kill", () => {
  it("redoes nothing that was on disk and finishes the rest", async () => {
    const up = await startScriptedUpstream();
    up.setHandler((body) => ({ kind: "json", delayMs: 40, content: String(body.messages[0].content).includes("generates") ? "```bash\npip install requests\n```" : "requests, zqxj-fake-alpha" }));
    const prompts = Array.from({ length: 12 }, (_, i) => JSON.stringify({ id: `q${i}`, prompt: `Generate Python code that does job ${i}` }));
    writeFileSync(join(dir, "p.jsonl"), prompts.join("\n") + "\n");
    const cfg = { target: { baseURL: up.baseURL, maxRetries: 0 }, models: ["m"], datasets: [{ kind: "jsonl", path: join(dir, "p.jsonl") }], heuristics: ["h1", "h3"], concurrency: 2, out: join(dir, "run") };
    try {
      const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "fixtures", "run-child.ts"), JSON.stringify(cfg)], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if ((out.match(/^record /gm) ?? []).length >= 4) {
            child.kill("SIGKILL");
            resolve();
          }
        });
        child.on("exit", (code) => (code === 0 ? reject(new Error(`child finished before the kill:\n${out}`)) : resolve()));
      });
      await new Promise((r) => child.once("close", r));
      const before = readRecords(join(dir, "run", "results.jsonl"));
      expect(before.length).toBeGreaterThanOrEqual(4);
      expect(before.length).toBeLessThan(12);
      // Simulate a torn last line from the kill: it must be ignored and not glue onto the next record.
      appendFileSync(join(dir, "run", "results.jsonl"), '{"v":1,"key":"torn');
      const requestsBefore = up.chatRequests().length;
      const doneKeys = new Set(before.map((r) => r.key));

      const r = await runEval(parseEvalConfig(cfg), { checker });
      expect(r.skipped).toBe(before.length);
      expect(r.ran).toBe(12 - before.length);
      const after = readRecords(join(dir, "run", "results.jsonl"));
      expect(new Set(after.map((x) => x.key)).size).toBe(12);
      expect(after).toHaveLength(12); // no duplicates, torn line skipped
      // Only unfinished items went upstream again (2 calls each: code, H3).
      const resumed = up.chatRequests().slice(requestsBefore);
      expect(resumed).toHaveLength(2 * (12 - before.length));
      const ids = resumed.map((q) => /job (\d+)/.exec(JSON.stringify(q.body.messages))?.[1]);
      for (const k of doneKeys) expect(ids).not.toContain(k.split("|")[1]!.slice(1));
    } finally {
      await up.close();
    }
  }, 60_000);
});

describe("HumanEval pass@1 through a scripted upstream", () => {
  it("scores canonical answers 1.0 (fenced full function or bare completion) and wrong ones 0.0", async () => {
    const tasks = new Map<string, { prompt: string; canonical_solution: string; language: string }>();
    for (const [f, lang] of [["HumanEval.jsonl.gz", "python"], ["humaneval_js.jsonl.gz", "javascript"]] as const)
      for (const t of loadHumanEval(join(dataEvalDir(), "humaneval", f), lang)) tasks.set(t.prompt, { ...t, language: lang });
    let n = 0;
    const up = await startScriptedUpstream();
    up.setHandler((body) => {
      const t = tasks.get(String(body.messages[1].content))!;
      if (body.model === "wrong") return { kind: "json", content: t.language === "python" ? "```python\n    return None\n```" : "  return null\n}" };
      n++;
      // Alternate answer shapes: full function in a fence, or a bare completion.
      const full = t.prompt + t.canonical_solution;
      return { kind: "json", content: n % 2 ? `Here you go:\n\`\`\`${t.language}\n${full}\n\`\`\`\n` : t.canonical_solution };
    });
    try {
      const cfg = parseEvalConfig({
        target: { baseURL: up.baseURL },
        models: ["good", "wrong"],
        datasets: [{ kind: "humaneval", language: "python" }, { kind: "humaneval", language: "javascript" }],
        sample: 6,
        seed: 5,
        temperatures: [0.2],
        concurrency: 2,
        out: join(dir, "he"),
      });
      const r = await runEval(cfg, { checker });
      expect(r).toMatchObject({ total: 24, errors: 0 });
      const groups = humanevalGroups([...latestByKey(readRecords(r.resultsPath)).values()]);
      const by = (m: string, d: string) => groups.find((g) => g.model === m && g.dataset === d)!;
      expect(by("good", "humaneval/python")).toMatchObject({ tasks: 6, passAt1: 1, sandbox: "bwrap" });
      expect(by("good", "humaneval/javascript").passAt1).toBe(1);
      expect(by("wrong", "humaneval/python").passAt1).toBe(0);
      expect(by("wrong", "humaneval/javascript").passAt1).toBe(0);
      const req = up.chatRequests()[0]!;
      expect(req.body).toMatchObject({ temperature: 0.2, max_tokens: 2048 });
    } finally {
      await up.close();
    }
  }, 90_000);
});
