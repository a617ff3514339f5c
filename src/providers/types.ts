/**
 * One small interface every backend implements, after the AI SDK's LanguageModel
 * (`doGenerate` / `doStream`): a provider-neutral `ModelCall` in, parts out.
 * Mitigations wrap these two calls; they never talk to a backend directly.
 */
import type { Generation, ModelCall, StreamPart, WireApi } from "../core/parts.js";

export interface CallOptions {
  /** Aborted when the client goes away or the request times out; providers must stop work. */
  signal: AbortSignal;
  requestId: string;
}

export interface ProviderCapabilities {
  /** Owns the decoding loop, so the constrain mitigation can restrict what it generates. */
  constrain: boolean;
}

export interface Provider {
  readonly kind: string;
  /** The wire API the upstream speaks (codecs pass unknown fields through when it matches the client's); none for local models. */
  readonly api: WireApi | undefined;
  readonly capabilities: ProviderCapabilities;
  generate(call: ModelCall, options: CallOptions): Promise<Generation>;
  /** Parts in order; every start has its end and `finish` comes last. A failure mid-stream throws. */
  stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart>;
  /** The prompt's exact size in tokens, where the backend can tell (`/v1/messages/count_tokens`); absent: the route estimates. */
  countTokens?(call: ModelCall, options: CallOptions): Promise<number>;
  /** Loads weights or checks reachability; `/readyz` reports the result. */
  init(): Promise<void>;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * Thrown by providers for failures the client should see with a specific status
 * (queue full → 429, upstream 5xx or malformed answer → 502, upstream timeout → 504).
 * Messages must already be sanitised: no keys, no upstream URLs with credentials.
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
