/**
 * Answers prompts through any OpenAI-compatible endpoint: the slopguard gateway itself (so the
 * training answers are exactly what the served model returns), vLLM, llama.cpp server or a hosted
 * API. Greedy by default, one request per prompt, same contract as the local generator.
 */
import OpenAI from "openai";
import type { ChatPrompt, LocalGenerator } from "./generate.js";

export interface RemoteGenerateOptions {
  baseURL: string;
  model: string;
  apiKey?: string;
  maxTokens?: number;
  temperature?: number;
  /** Extra request headers, e.g. `X-Slopguard-Profile: default` so the gateway only annotates. */
  headers?: Record<string, string>;
}

export function openRemoteGenerator(opts: RemoteGenerateOptions): LocalGenerator {
  const client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey ?? process.env.OPENAI_API_KEY ?? "unused", defaultHeaders: opts.headers ?? {} });
  return {
    async answer(prompts: ChatPrompt[], local?: { maxTokens?: number }) {
      const out: string[] = [];
      for (const p of prompts) {
        const r = await client.chat.completions.create({
          model: opts.model,
          messages: [{ role: "system", content: p.system }, { role: "user", content: p.user }],
          temperature: opts.temperature ?? 0,
          max_tokens: local?.maxTokens ?? opts.maxTokens ?? 256,
        });
        out.push(r.choices[0]?.message.content ?? "");
      }
      return out;
    },
    async dispose() {},
  };
}
