/**
 * `rag-index build --generator <model>`: asks a configured OpenAI-compatible model
 * for extra questions per package, as the paper did with an LLM. Answers are data
 * like the summaries: sanitised, length-capped, prompt-like lines dropped.
 */
import OpenAI from "openai";
import pLimit from "p-limit";
import { z } from "zod";
import type { Config } from "../src/config/schema.js";
import type { Ecosystem } from "../src/packages/types.js";
import { sanitize } from "../src/rag/sanitize.js";
import { ECOSYSTEMS, readSelection, type PackageEntry } from "../src/rag/selection.js";

const LANGUAGE: Record<Ecosystem, string> = { pypi: "Python", npm: "JavaScript" };
const ChoiceSchema = z.object({ choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1) });

export function questionPrompt(p: PackageEntry): string {
  return (
    `The ${LANGUAGE[p.ecosystem]} package ${p.name} is described as: "${p.summary}".\n` +
    "Write 3 short, different programming tasks this package helps with, one per line, without numbering or other text."
  );
}

/** One cleaned task per line; numbering, bullets and anything prompt-like are removed. */
export function parseQuestions(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/^\s*(\d+[.)]|[-*•])\s*/, "").trim())
    .map((l) => sanitize(l, 160))
    .filter((l): l is string => l !== undefined && /[a-z]/i.test(l))
    .slice(0, 5);
}

export async function generateQuestions(input: {
  config: Config;
  model: string;
  dataDir: string;
  limit: number;
  concurrency?: number;
  log?: (line: string) => void;
}): Promise<Map<string, string[]>> {
  const model = input.config.models.find((m) => m.name === input.model);
  if (!model) throw new Error(`--generator: no model named "${input.model}" in the config`);
  if (model.provider !== "openai-compatible") {
    throw new Error(`--generator needs an openai-compatible model (or a running slopguard gateway configured as one); "${model.name}" is ${model.provider}`);
  }
  const client = new OpenAI({ baseURL: model.baseURL, apiKey: model.apiKey ?? "none", timeout: model.timeoutMs, maxRetries: model.maxRetries });
  const packages = ECOSYSTEMS.flatMap((e) => readSelection(input.dataDir, e).slice(0, input.limit));
  const limit = pLimit(input.concurrency ?? 4);
  const out = new Map<string, string[]>();
  let failed = 0;
  await Promise.all(
    packages.map((p) =>
      limit(async () => {
        try {
          const raw = await client.chat.completions.create({
            model: model.model,
            messages: [{ role: "user", content: questionPrompt(p) }],
            temperature: 0.7,
            max_tokens: 160,
          });
          const text = ChoiceSchema.parse(raw).choices[0]?.message.content ?? "";
          out.set(`${p.ecosystem}:${p.name}`, parseQuestions(text));
        } catch {
          failed += 1;
        }
      }),
    ),
  );
  (input.log ?? ((l) => process.stderr.write(`${l}\n`)))(
    `generator ${input.model}: questions for ${out.size} of ${packages.length} packages (${failed} failed)`,
  );
  return out;
}
