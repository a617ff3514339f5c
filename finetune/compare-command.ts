/** `slopguard finetune compare`: base vs adapter on the same held-out prompts (see compare.ts). */
import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareArms, loadArm, loadEvalSets, loadNameSets, runArm, runArmHf, saveArm } from "./compare.js";

interface CompareOptions {
  model: string;
  adapter?: string;
  out: string;
  arms: string;
  dataDir: string;
  paperCount: string;
  humaneval: boolean;
  heLimit: string;
  engine: "gguf" | "hf";
  baseHf: string;
  adapterHf?: string;
  sets?: string;
  limit?: string;
}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new Error(`${flag} is required for the adapter arm`);
  return v;
}

export function registerCompare(ft: Command): void {
  ft.command("compare")
    .description("hallucination rate (bootstrap CIs) and HumanEval pass@1, base vs adapter, same held-out prompts")
    .option("--model <gguf>", "base GGUF model", "models/testbed/pkg-halluc-testbed-f16.gguf")
    .option("--adapter <gguf>", "GGUF LoRA adapter (needed for the adapter arm)")
    .requiredOption("--out <dir>", "folder for base.json, adapter.json, compare.json and compare.md")
    .option("--arms <list>", "arms to run now: base, adapter, base,adapter, or \"\" to only compare saved arms", "base,adapter")
    .option("--data-dir <dir>", "folder with registry/ and eval/ (this repository's data/)", "data")
    .option("--paper-count <n>", "paper Python code prompts to sample", "150")
    .option("--no-humaneval", "skip HumanEval")
    .option("--he-limit <n>", "HumanEval problems (first n)", "164")
    .option("--engine <e>", "gguf: node-llama-cpp with the GGUF adapter (what the gateway serves); hf: batched transformers + peft", "gguf")
    .option("--base-hf <dir>", "HF checkpoint for --engine hf", "models/testbed/hf")
    .option("--adapter-hf <dir>", "peft adapter folder for --engine hf")
    .option("--sets <names>", "only these sets (comma-separated names)")
    .option("--limit <n>", "only the first n prompts of each set")
    .action(async (o: CompareOptions) => {
      mkdirSync(o.out, { recursive: true });
      const sets = loadEvalSets(o.dataDir, { paperCount: Number(o.paperCount), seed: 3 }).filter((s) => !o.sets || o.sets.split(",").includes(s.name))
        .map((s) => (o.limit ? { ...s, prompts: s.prompts.slice(0, Number(o.limit)) } : s));
      const he = o.humaneval ? join(o.dataDir, "eval/humaneval/HumanEval.jsonl.gz") : undefined;
      for (const arm of o.arms.split(",").filter(Boolean)) {
        const r = o.engine === "hf"
          ? await runArmHf({ arm, python: "finetune/.venv/bin/python", baseHf: o.baseHf, sets, ...(arm === "adapter" ? { adapterDir: need(o.adapterHf, "--adapter-hf") } : {}),
              ...(he ? { humanevalPath: he } : {}), heLimit: Number(o.heLimit) })
          : await runArm({ arm, modelPath: o.model, ...(arm === "adapter" ? { adapter: need(o.adapter, "--adapter") } : {}), sets,
              ...(he ? { humanevalPath: he } : {}), heLimit: Number(o.heLimit), log: (m) => console.error(m) });
        saveArm(o.out, r);
      }
      const base = loadArm(o.out, "base"), tuned = loadArm(o.out, "adapter");
      if (!base || !tuned) return void console.log("saved; run the other arm to compare");
      const { table, summary } = compareArms(base, tuned, sets, loadNameSets(o.dataDir));
      writeFileSync(join(o.out, "compare.json"), JSON.stringify({ summary, seconds: { base: base.seconds, adapter: tuned.seconds } }, null, 1));
      writeFileSync(join(o.out, "compare.md"), table + "\n");
      console.log(table);
    });
}
