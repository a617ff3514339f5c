/** Chat calls through the real `openai` client, with slopguard's profile selection. */
import OpenAI from "openai";
import type { EvalConfig } from "./config.js";

export interface ChatCall {
  answer: string;
  ms: number;
  promptTokens?: number;
  completionTokens?: number;
  finishReason?: string;
  /** slopguard's per-request report (mitigation records, package verdicts), when the target is slopguard. */
  slopguard?: unknown;
}

export interface ChatArgs {
  model: string;
  /** Sent as X-Slopguard-Ecosystem so slopguard checks names in the prompt's registry (ignored elsewhere). */
  ecosystem?: "pypi" | "npm";
  profile: string;
  system: string;
  user: string;
  temperature: number;
  maxTokens: number;
  signal?: AbortSignal;
}

export const NO_PROFILE = "none";

export function createClient(target: EvalConfig["target"]): OpenAI {
  // The SDK would fall back to OpenAI's own API: never send prompts somewhere nobody named.
  if (!target.baseURL) throw new Error("eval: no target base URL (set target.baseURL or target.serve)");
  return new OpenAI({
    baseURL: target.baseURL,
    apiKey: target.apiKey ?? process.env.OPENAI_API_KEY ?? "sk-no-key",
    timeout: target.timeoutMs,
    maxRetries: target.maxRetries,
  });
}

export async function chat(client: OpenAI, cfg: Pick<EvalConfig, "target" | "topP">, args: ChatArgs): Promise<ChatCall> {
  const withProfile = args.profile !== NO_PROFILE;
  const model = withProfile && cfg.target.profileVia === "suffix" ? `${args.model}:${args.profile}` : args.model;
  const headers: Record<string, string> = {};
  if (withProfile && cfg.target.profileVia === "header") headers["X-Slopguard-Profile"] = args.profile;
  if (args.ecosystem) headers["X-Slopguard-Ecosystem"] = args.ecosystem;
  const t0 = performance.now();
  const res = await client.chat.completions.create(
    {
      model,
      messages: [
        { role: "system", content: args.system },
        { role: "user", content: args.user },
      ],
      temperature: args.temperature,
      top_p: cfg.topP,
      max_tokens: args.maxTokens,
    },
    { headers, signal: args.signal },
  );
  const choice = res.choices[0];
  const call: ChatCall = { answer: choice?.message?.content ?? "", ms: Math.round(performance.now() - t0) };
  if (res.usage) {
    call.promptTokens = res.usage.prompt_tokens;
    call.completionTokens = res.usage.completion_tokens;
  }
  if (choice?.finish_reason) call.finishReason = choice.finish_reason;
  const extra = (res as unknown as { slopguard?: unknown }).slopguard;
  if (extra !== undefined) call.slopguard = extra;
  return call;
}
