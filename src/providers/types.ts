/**
 * One small interface every backend implements, after the AI SDK's
 * LanguageModel (`doGenerate` / `doStream`). Mitigations wrap these two calls;
 * they never talk to a backend directly.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../api/schema.js";
import type { ConstrainRequest } from "../mitigation/constrain/request.js";

export interface CallOptions {
  /** Aborted when the client goes away or the request times out; providers must stop work. */
  signal: AbortSignal;
  requestId: string;
  /** Name of a LoRA adapter configured on a local model; ignored by remote providers. */
  adapter?: string | undefined;
  /** Constrained decoding (issue 15): only the local provider supports it; the constrain mitigation never sends it elsewhere. */
  constrain?: ConstrainRequest | undefined;
}

export interface Provider {
  readonly kind: string;
  /** `request.model` is already the provider's own model id, not the gateway's public name. */
  generate(request: ChatRequest, options: CallOptions): Promise<ChatCompletion>;
  stream(request: ChatRequest, options: CallOptions): AsyncIterable<ChatCompletionChunk>;
  /** Loads weights or checks reachability; `/readyz` reports the result. */
  init(): Promise<void>;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Thrown by providers for failures the client should see with a specific status
 * (queue full → 429, upstream 5xx → 502, upstream timeout → 504). Messages must
 * already be sanitised: no keys, no upstream URLs with credentials.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}
