/**
 * The mitigation contract: composable middleware around a provider's generate and
 * stream calls, after the AI SDK's `wrapLanguageModel` (transformParams /
 * wrapGenerate / wrapStream). Each module records a small verdict, after
 * Portkey's plugin contract `{verdict, data}`.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../api/schema.js";
import type { ModelConfig } from "../config/schema.js";
import type { Ecosystem } from "../packages/types.js";
import type { ConstrainRequest } from "./constrain/request.js";

export type MitigationOutcome = "pass" | "modified" | "flagged" | "blocked" | "error";

export interface MitigationRecord<D = unknown> {
  module: string;
  verdict: MitigationOutcome;
  data?: D;
  durationMs: number;
}

export interface MitigationContext {
  requestId: string;
  model: ModelConfig;
  profile: string;
  signal: AbortSignal;
  /** Set by the request, the model config, or detected from the prompt. */
  ecosystem?: Ecosystem;
  /** LoRA adapter for local models, chosen by the adapter mitigation. */
  adapter?: string;
  /** Constrained decoding for local models, set by the constrain mitigation (issue 15). */
  constrain?: ConstrainRequest;
  /** What each module did; ends up in the response's `slopguard` object. */
  records: MitigationRecord[];
  /** Headers to add to a non-streaming response (streams carry the verdict in a final chunk). */
  responseHeaders: Record<string, string>;
}

export type DoGenerate = (params: ChatRequest) => Promise<ChatCompletion>;
export type DoStream = (params: ChatRequest) => AsyncIterable<ChatCompletionChunk>;

export interface Mitigation {
  readonly name: string;
  transformParams?(args: { params: ChatRequest; ctx: MitigationContext }): Promise<ChatRequest>;
  wrapGenerate?(args: { doGenerate: DoGenerate; params: ChatRequest; ctx: MitigationContext }): Promise<ChatCompletion>;
  wrapStream?(args: { doStream: DoStream; params: ChatRequest; ctx: MitigationContext }): AsyncIterable<ChatCompletionChunk>;
}
