/** The eval run configuration (`eval/configs/*.yaml`, or the same fields as CLI flags). */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { DatasetSpecSchema } from "./datasets.js";
import { PAPER_PARAMS, DEFAULT_TEMPLATES } from "./prompts.js";
import { SandboxLimitsSchema } from "./sandbox.js";

export const HeuristicSchema = z.enum(["h1", "h2", "h3"]);
export type Heuristic = z.infer<typeof HeuristicSchema>;

export const EvalConfigSchema = z.strictObject({
  target: z
    .strictObject({
      /** Any OpenAI-compatible base URL: slopguard itself, or a model server directly. */
      baseURL: z.string().url().optional(),
      /**
       * Start slopguard in-process and target it: `true` for the embedded default config
       * (testbed model, shipped adapters, RAG index), or a gateway config file. Wins over baseURL.
       */
      serve: z.union([z.boolean(), z.string().min(1)]).default(false),
      /** `${ENV}` is read from the environment; defaults to OPENAI_API_KEY or a dummy key. */
      apiKey: z.string().optional(),
      /** How a profile reaches slopguard: `X-Slopguard-Profile` header or the `model:profile` suffix. */
      profileVia: z.enum(["header", "suffix"]).default("header"),
      timeoutMs: z.number().int().positive().default(300_000),
      maxRetries: z.number().int().min(0).max(10).default(2),
    })
    .refine((t) => t.serve !== false || t.baseURL !== undefined, { message: "give target.baseURL, or target.serve to start slopguard in-process" }),
  models: z.array(z.string().min(1)).min(1),
  /** Mitigation profiles; `null`/`"none"` sends no profile (a model directly, or the model's default). */
  profiles: z.array(z.string().min(1)).default(["none"]),
  /** Code-generation temperatures (the sweep); lists use listTemperature. */
  temperatures: z.array(z.number().min(0).max(2)).min(1).default([PAPER_PARAMS.codeTemperature]),
  listTemperature: z.number().min(0).max(2).default(PAPER_PARAMS.listTemperature),
  topP: z.number().min(0).max(1).default(PAPER_PARAMS.topP),
  maxTokens: z
    .strictObject({ code: z.number().int().positive().default(PAPER_PARAMS.codeMaxTokens), list: z.number().int().positive().default(PAPER_PARAMS.listMaxTokens) })
    .default({ code: PAPER_PARAMS.codeMaxTokens, list: PAPER_PARAMS.listMaxTokens }),
  datasets: z.array(DatasetSpecSchema).min(1),
  /** Prompts per dataset (seeded sample); all when left out. */
  sample: z.number().int().positive().optional(),
  seed: z.number().int().default(42),
  repeats: z.number().int().positive().max(100).default(1),
  concurrency: z.number().int().positive().max(256).default(2),
  heuristics: z.array(HeuristicSchema).min(1).default(["h1", "h2", "h3"]),
  /**
   * A name missing from a partial master list (the npm snapshot holds only popular packages)
   * gets verdict `unknown`. The paper and the testbed count absence from the master list
   * as a hallucination, so that is the default.
   */
  unknownAs: z.enum(["hallucination", "valid", "exclude"]).default("hallucination"),
  /** The `packages` config section for the checker; offline by default so runs are reproducible. */
  packages: z.unknown().default({ mode: "offline" }),
  templates: DEFAULT_TEMPLATES_SCHEMA(),
  sandbox: SandboxLimitsSchema.partial().default({}),
  bootstrap: z.strictObject({ resamples: z.number().int().positive().default(1000), seed: z.number().int().default(7) }).default({ resamples: 1000, seed: 7 }),
  /** Run folder (relative to the working directory): results.jsonl, report.html, report.md, summary.json. */
  out: z.string().default("eval/runs/latest"),
});
export type EvalConfig = z.infer<typeof EvalConfigSchema>;

function DEFAULT_TEMPLATES_SCHEMA() {
  const s = z.string().min(1);
  return z
    .strictObject({
      codeSystem: s.default(DEFAULT_TEMPLATES.codeSystem),
      listSystem: s.default(DEFAULT_TEMPLATES.listSystem),
      h2User: s.default(DEFAULT_TEMPLATES.h2User),
      h3User: s.default(DEFAULT_TEMPLATES.h3User),
      humanevalSystem: s.default(DEFAULT_TEMPLATES.humanevalSystem),
      humanevalUser: s.default(DEFAULT_TEMPLATES.humanevalUser),
    })
    .default(DEFAULT_TEMPLATES);
}

function interpolateEnv(text: string): string {
  return text.replace(/\$\{(\w+)\}/g, (_, k: string) => {
    const v = process.env[k];
    if (v === undefined) throw new Error(`eval config: environment variable ${k} is not set`);
    return v;
  });
}

/** Reads a YAML/JSON config file, `${ENV}` filled in, not yet validated (flags are merged first). */
export function readEvalConfigFile(path: string): Record<string, unknown> {
  const raw = parseYaml(interpolateEnv(readFileSync(path, "utf8"))) as unknown;
  if (!raw || typeof raw !== "object") throw new Error(`eval config ${path}: expected a mapping`);
  return raw as Record<string, unknown>;
}

export function parseEvalConfig(raw: unknown): EvalConfig {
  const r = EvalConfigSchema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`invalid eval config: ${msg}`);
  }
  return r.data;
}
