/**
 * `slopguard finetune <prompts|generate|data|register>`: the TypeScript half of the fine-tuning pipeline.
 * Training and GGUF export are Python (finetune/train.py, finetune/export_gguf_lora.py); see finetune/README.md.
 */
import type { Command } from "commander";
import { appendFileSync, existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { buildPrompts, readRegistryTsv, PromptRowSchema, type PromptPlan } from "./prompts.js";
import { defaultHeldoutFiles, loadHeldout } from "./heldout.js";
import { openGenerator, type LocalGenerator } from "./generate.js";
import { openRemoteGenerator } from "./generate-remote.js";
import { runDataCommand, type DataCommandOptions } from "./data-command.js";
import { registerAdapter } from "./register.js";
import { registerCompare } from "./compare-command.js";
import { readJsonl } from "./jsonl.js";


interface GenerateCliOptions {
  prompts: string; out: string; model?: string; adapter?: string; baseUrl?: string; apiModel: string; profile: string;
  run: string; maxTokens: string; shard: string;
}

async function openSource(o: GenerateCliOptions): Promise<LocalGenerator> {
  if (o.baseUrl) {
    return openRemoteGenerator({ baseURL: o.baseUrl, model: o.apiModel, maxTokens: Number(o.maxTokens), headers: { "X-Slopguard-Profile": o.profile } });
  }
  if (!o.model) throw new Error("give --model <gguf> or --base-url <OpenAI-compatible URL>");
  return openGenerator({ modelPath: o.model, maxTokens: Number(o.maxTokens), ...(o.adapter ? { adapters: [{ filePath: o.adapter }] } : {}) });
}

function writeJsonl(path: string, rows: unknown[]): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
}

function parsePlan(spec: string): PromptPlan[] {
  return spec.split(",").map((part) => {
    const [ecosystem, kind, count] = part.split(":");
    if ((ecosystem !== "pypi" && ecosystem !== "npm") || (kind !== "list" && kind !== "code") || !Number(count)) {
      throw new Error(`bad plan entry ${JSON.stringify(part)}; expected ecosystem:kind:count, e.g. pypi:list:2000`);
    }
    return { ecosystem, kind, count: Number(count) };
  });
}

export function registerFinetune(program: Command): void {
  const ft = program.command("finetune").description("Build fine-tuning data from a model's own answers and register adapters");

  ft.command("prompts")
    .description("synthetic training prompts from registry summaries (eval-set packages and prompts excluded)")
    .requiredOption("--pypi <tsv>", "PyPI snapshot TSV(.gz) with name and summary columns")
    .requiredOption("--npm <tsv>", "npm snapshot TSV(.gz) with name and summary columns")
    .requiredOption("--out <jsonl>", "output prompt file")
    .option("--plan <spec>", "ecosystem:kind:count,...", "pypi:list:2000,npm:list:800,pypi:code:600,npm:code:300")
    .option("--popular-share <x>", "share of prompts drawn from popular packages", "0.3")
    .option("--seed <n>", "seed", "1")
    .option("--heldout <files...>", "eval files whose prompts and packages are excluded (default: data/eval/)")
    .action((o: { pypi: string; npm: string; out: string; plan: string; popularShare: string; seed: string; heldout?: string[] }) => {
      const guard = loadHeldout(o.heldout ?? defaultHeldoutFiles(process.cwd()));
      const registries = {
        // rank among the most downloaded (4th column) marks a popular PyPI project; npm: ≥ 100k downloads a month
        pypi: readRegistryTsv(o.pypi, (c) => Boolean(c[3])),
        npm: readRegistryTsv(o.npm, (c) => Number(c[2]) >= 100_000),
      };
      const rows = buildPrompts({ registries, plan: parsePlan(o.plan), exclude: guard.packages,
        popularShare: Number(o.popularShare), seed: Number(o.seed) }).filter((r) => !guard.has(r.user));
      writeJsonl(o.out, rows);
      console.log(JSON.stringify({ out: o.out, prompts: rows.length, excluded_packages: guard.packages.size }));
    });

  ft.command("generate")
    .description("answer a prompt file greedily with a local GGUF model or an OpenAI-compatible endpoint (e.g. the gateway), appending prompt→answer JSONL (resumable)")
    .requiredOption("--prompts <jsonl>", "prompt file (from `finetune prompts`)")
    .requiredOption("--out <jsonl>", "answers file; prompts already answered there are skipped")
    .option("--model <gguf>", "local GGUF model (node-llama-cpp)")
    .option("--adapter <gguf>", "GGUF LoRA adapter to apply to --model")
    .option("--base-url <url>", "OpenAI-compatible endpoint instead of --model, e.g. http://127.0.0.1:8080/v1 (slopguard)")
    .option("--api-model <name>", "model name at --base-url", "testbed")
    .option("--profile <name>", "X-Slopguard-Profile sent to --base-url (default: annotate only, answers unchanged)", "default")
    .option("--run <name>", "run name recorded on every row", "run")
    .option("--max-tokens <n>", "max tokens per answer", "192")
    .option("--shard <i/n>", "answer only prompts whose index % n == i (run n processes in parallel)", "0/1")
    .action(async (o: GenerateCliOptions) => {
      const [i, n] = o.shard.split("/").map(Number) as [number, number];
      const done = new Set(existsSync(o.out) ? readJsonl(o.out).map((r) => (r as { id: string }).id) : []);
      const prompts = readJsonl(o.prompts).map((r) => PromptRowSchema.parse(r)).filter((_, k) => k % n === i).filter((p) => !done.has(p.id));
      mkdirSync(dirname(resolve(o.out)), { recursive: true });
      const gen = await openSource(o);
      const t0 = performance.now();
      for (const [k, p] of prompts.entries()) {
        const [answer] = await gen.answer([p], { maxTokens: p.kind === "list" ? 64 : Number(o.maxTokens) });
        appendFileSync(o.out, JSON.stringify({ ...p, answer, run: o.run }) + "\n");
        if ((k + 1) % 200 === 0) console.error(`${k + 1}/${prompts.length}`);
      }
      await gen.dispose();
      console.log(JSON.stringify({ out: o.out, answered: prompts.length, seconds: +((performance.now() - t0) / 1000).toFixed(1) }));
    });

  ft.command("data")
    .description("build chat-format training data: keep answers whose packages all exist, hold out eval prompts")
    .requiredOption("--source <jsonl...>", "prompt→answer JSONL files (eval runs or `finetune generate` output)")
    .requiredOption("--out <dir>", "output folder: train.jsonl, heldout.jsonl, manifest.json, heldout_hashes.txt")
    .option("--repair", "also keep listing answers with the made-up names removed (reported apart)", false)
    .option("--general <jsonl>", "package-free code examples to mix in", "finetune/data/general_code.jsonl")
    .option("--no-general", "do not mix in package-free code examples")
    .option("--general-share <x>", "max share of general examples in train.jsonl", "0.1")
    .option("--heldout <files...>", "eval files whose prompts are held out (default: data/eval/)")
    .option("--config <file>", "gateway config whose packages section configures the checker")
    .option("--live", "let the checker ask the registries about names the snapshot does not settle", false)
    .action(async (o: DataCommandOptions) => {
      const manifest = await runDataCommand(o);
      console.log(JSON.stringify(manifest.counts));
    });

  registerCompare(ft);

  ft.command("register")
    .description("add a GGUF LoRA adapter to a local model in a gateway config, and a profile that selects it")
    .requiredOption("--config <file>", "gateway config YAML to edit")
    .requiredOption("--model <name>", "local model (its `name`) that gets the adapter")
    .requiredOption("--adapter <gguf>", "GGUF LoRA file")
    .option("--name <name>", "adapter name", "finetuned")
    .option("--scale <x>", "adapter scale", "1")
    .option("--profile <name>", "mitigation profile to add that selects the adapter", "finetuned")
    .action((o: { config: string; model: string; adapter: string; name: string; scale: string; profile: string }) => {
      const r = registerAdapter({ configPath: o.config, model: o.model, adapterPath: o.adapter, name: o.name,
        scale: Number(o.scale), profile: o.profile });
      console.log(JSON.stringify(r));
    });
}
