/** `slopguard finetune compare`: base vs adapter on the same held-out prompts (see compare.ts). */
import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareArms, loadArm, loadEvalSets, loadNameSets, runArm, saveArm } from "./compare.js";

interface CompareOptions {
  model: string;
  adapter?: string;
  out: string;
  arms: string;
  dataDir: string;
  paperCount: string;
  humaneval: boolean;
  heLimit: string;
}

export function registerCompare(ft: Command): void {
  ft.command("compare")
    .description("hallucination rate (bootstrap CIs) and HumanEval pass@1, base vs adapter, same held-out prompts")
    .requiredOption("--model <gguf>", "base GGUF model")
    .option("--adapter <gguf>", "GGUF LoRA adapter (needed for the adapter arm)")
    .requiredOption("--out <dir>", "folder for base.json, adapter.json, compare.json and compare.md")
    .option("--arms <list>", "arms to run now: base, adapter or base,adapter (saved arms are reused)", "base,adapter")
    .option("--data-dir <dir>", "folder with registry/ and eval/ (this repository's data/)", "data")
    .option("--paper-count <n>", "paper Python code prompts to sample", "150")
    .option("--no-humaneval", "skip HumanEval")
    .option("--he-limit <n>", "HumanEval problems (first n)", "164")
    .action(async (o: CompareOptions) => {
      mkdirSync(o.out, { recursive: true });
      const sets = loadEvalSets(o.dataDir, { paperCount: Number(o.paperCount), seed: 3 });
      const he = o.humaneval ? join(o.dataDir, "eval/humaneval/HumanEval.jsonl.gz") : undefined;
      for (const arm of o.arms.split(",")) {
        if (arm === "adapter" && !o.adapter) throw new Error("--adapter is required for the adapter arm");
        const r = await runArm({ arm, modelPath: o.model, ...(arm === "adapter" ? { adapter: o.adapter! } : {}), sets,
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
