/**
 * OpenAI's legacy completions API (`POST /v1/completions`), which editors use for
 * autocomplete: `prompt` (the text before the cursor), `suffix` (after it, for
 * fill-in-the-middle), `stop`, `max_tokens`, `stream`. Requests as clients send
 * them; answers and chunks as upstreams send them (checked before use).
 */
import { z } from "zod";

export const CompletionRequestSchema = z.looseObject({
  model: z.string().min(1),
  /** One prompt: a string, or an array holding one string (batches of prompts are not served). */
  prompt: z.union([z.string(), z.array(z.string()).length(1, "one prompt per request: batches of prompts are not supported")]),
  suffix: z.string().nullish(),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** Not an OpenAI parameter; llama.cpp, vLLM and Ollama accept it. */
  top_k: z.number().int().min(0).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1).nullish(),
  best_of: z.literal(1).nullish(),
  /** Echoing the prompt back is not served: editors never ask for it. */
  echo: z.literal(false).nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

const Usage = z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });

export const TextCompletionSchema = z.looseObject({
  id: z.string().nullish(),
  created: z.number().nullish(),
  model: z.string().nullish(),
  choices: z.array(z.looseObject({ text: z.string(), index: z.number().nullish(), finish_reason: z.string().nullish() })).min(1),
  usage: Usage.nullish(),
});

export const TextCompletionChunkSchema = z.looseObject({
  id: z.string().nullish(),
  created: z.number().nullish(),
  model: z.string().nullish(),
  choices: z.array(z.looseObject({ text: z.string().nullish(), index: z.number().nullish(), finish_reason: z.string().nullish() })),
  usage: Usage.nullish(),
});
