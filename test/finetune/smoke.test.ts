/**
 * End-to-end smoke run of the Python half: install the pinned deps with the documented command (an existing
 * venv is reused), train a few LoRA steps on the testbed HF checkpoint, export a GGUF LoRA, and serve it
 * through the real gateway's local provider (node-llama-cpp) with a profile that selects it. The adapter's
 * answer must differ from the base answer and be the trained one, which also checks the Q/K permutation:
 * with a wrong row order the adapter's attention delta is noise and the trained answer does not come out.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startGateway, testbedModel, type TestGateway } from "../helpers/gateway.js";

const hasPython = spawnSync("python3", ["--version"]).status === 0;
if (!hasPython) console.warn("test/finetune/smoke.test.ts SKIPPED: python3 is not installed (the trainer and the GGUF export need Python >= 3.10)");

const SYSTEM = "You are a coding assistant that recommends Python packages that would be helpful to solve given problems. Respond with only a list of Python packages, separated by commas and without additional text or formatting.";
const USER = "Which Python packages would be useful in solving the following coding problem: Parse command line arguments.";
const TRAINED = "requests, numpy";
const py = join(repoRoot, "finetune/.venv/bin/python");

function run(cmd: string, args: string[], timeoutMs: number) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, timeout: timeoutMs, encoding: "utf8", env: { ...process.env, TOKENIZERS_PARALLELISM: "false" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!hasPython)("finetune smoke: setup.sh → train.py → GGUF LoRA → gateway local provider", () => {
  let tmp: string;
  let gw: TestGateway | undefined;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "ft-smoke-"));
    run("bash", ["finetune/setup.sh"], 240_000);
  }, 250_000);
  afterAll(async () => {
    await gw?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("refuses to train on a held-out eval prompt", () => {
    const data = join(tmp, "bad");
    run("mkdir", ["-p", data], 5_000);
    const prompt = "Generate Python code that imports the requests library and creates a session object with thread-safe connection pooling, files posting, and other features.";
    writeFileSync(join(data, "train.jsonl"), JSON.stringify({ messages: [{ role: "user", content: prompt }, { role: "assistant", content: "x" }], split: "train" }) + "\n");
    const hash = spawnSync(py, ["-c", "import sys,hashlib,re;print(hashlib.sha256(re.sub(r'[^a-z0-9]+',' ',sys.argv[1].lower()).strip().encode()).hexdigest()[:32])", prompt], { encoding: "utf8" }).stdout.trim();
    writeFileSync(join(data, "heldout_hashes.txt"), hash + "\n");
    const r = spawnSync(py, ["finetune/train.py", "--data", join(data, "train.jsonl"), "--out", join(tmp, "bad-out")], { cwd: repoRoot, encoding: "utf8" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("refusing to train: a training prompt is a held-out eval prompt");
  });

  it("trains a few steps, exports a GGUF LoRA and the gateway's adapter profile changes the answer", async () => {
    const data = join(tmp, "train.jsonl");
    const row = { messages: [{ role: "system", content: SYSTEM }, { role: "user", content: USER }, { role: "assistant", content: TRAINED }], split: "train" };
    writeFileSync(data, Array.from({ length: 16 }, () => JSON.stringify(row)).join("\n") + "\n");
    writeFileSync(join(tmp, "cfg.yaml"), "lora: {r: 8, alpha: 16}\nlr: 5.0e-3\nbatch_size: 8\nwarmup_steps: 2\nthreads: 1\nlog_every: 10\n");
    run(py, ["finetune/train.py", "--config", join(tmp, "cfg.yaml"), "--data", data, "--out", join(tmp, "run"), "--max-steps", "25"], 180_000);
    const summary = JSON.parse(readFileSync(join(tmp, "run/summary.json"), "utf8")) as { final_loss: number; first_loss: number; trainable_params: number };
    expect(summary.final_loss).toBeLessThan(summary.first_loss);
    expect(existsSync(join(tmp, "run/loss.svg"))).toBe(true);
    const gguf = join(tmp, "smoke-lora.gguf");
    const info = JSON.parse(run(py, ["finetune/export_gguf_lora.py", "--adapter", join(tmp, "run/adapter"), "--base", "models/testbed/hf", "--out", gguf], 60_000)) as { tensors: number; qk_permuted: boolean };
    expect(info).toMatchObject({ tensors: 6 * 7 * 2, qk_permuted: true });

    gw = await startGateway({
      config: {
        models: [testbedModel({ adapters: [{ name: "smoke", path: gguf, scale: 1 }] })],
        mitigation: { profiles: { plain: [], tuned: [{ module: "adapter", name: "smoke" }] } },
      },
    });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x" });
    const ask = async (model: string) =>
      (await client.chat.completions.create({ model, temperature: 0, max_tokens: 32, messages: [{ role: "system", content: SYSTEM }, { role: "user", content: USER }] })).choices[0]!.message.content;
    const base = await ask("testbed:plain");
    const tuned = await ask("testbed:tuned");
    expect(base).not.toBe(tuned);
    expect(tuned).toBe(TRAINED);
  }, 240_000);
});
