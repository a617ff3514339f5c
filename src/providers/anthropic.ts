/**
 * `anthropic`: an upstream speaking Anthropic's Messages API, through the official
 * `@anthropic-ai/sdk` (over the gateway's keep-alive node:http fetch). The call is
 * encoded by the Messages codec: a client that also spoke Messages gets its request
 * through natively (cache_control, thinking signatures, beta fields and the
 * `anthropic-beta` header survive); chat and Responses clients are translated through
 * parts. Every message and event is checked before use: a malformed upstream is a 502,
 * and a stream that ends without `message_stop` is an error, never an answer that
 * looks complete.
 */
import Anthropic, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import { encodeMessagesRequest } from "../codecs/messages/request.js";
import { decodeMessagesResponse } from "../codecs/messages/response.js";
import { CountTokensResponseSchema } from "../codecs/messages/schema.js";
import { MessagesStreamDecoder, UpstreamStreamError } from "../codecs/messages/stream.js";
import { UpstreamFormatError } from "../codecs/errors.js";
import type { AnthropicModelConfig } from "../config/schema.js";
import type { Logger } from "../util/log.js";
import { HttpUpstream } from "./http-upstream.js";
import { ProviderError, type CallOptions, type Provider } from "./types.js";
import { fromHttpFailure, fromOtherFailure, upstreamMessage } from "./upstream-errors.js";

/** Anthropic's error types in a stream's `event: error`, as the status they stand for. */
const STREAM_ERROR_STATUS: Record<string, number> = { overloaded_error: 529, rate_limit_error: 429, api_error: 500, timeout_error: 504, invalid_request_error: 400 };

export class AnthropicProvider extends HttpUpstream implements Provider {
  readonly kind = "anthropic";
  readonly api = "messages" as const;
  private readonly client: Anthropic;

  constructor(
    private readonly config: AnthropicModelConfig,
    options: { logger?: Logger } = {},
  ) {
    // `${ANTHROPIC_API_KEY:-}` in a config gives "": that is no key, not an empty one.
    const apiKey = config.apiKey || process.env.ANTHROPIC_API_KEY || "not-needed";
    super({ apiKey, config });
    this.client = new Anthropic({
      apiKey,
      ...(config.baseURL ? { baseURL: config.baseURL } : {}),
      ...this.sdkOptions(options.logger),
    });
  }

  protected get connection(): AnthropicModelConfig {
    return this.config;
  }

  private body(call: ModelCall, stream: boolean): Record<string, unknown> {
    return encodeMessagesRequest(call, { model: this.config.model, stream, defaultMaxTokens: this.config.maxTokens });
  }

  /** `anthropic-beta` and the like, when the client spoke Messages too. */
  private headers(call: ModelCall): Record<string, string> {
    return call.native?.api === "messages" ? (call.native.headers ?? {}) : {};
  }

  async generate(call: ModelCall, options: CallOptions): Promise<Generation> {
    try {
      const res: unknown = await this.client.messages.create(this.body(call, false) as never, { signal: options.signal, headers: this.headers(call) });
      return decodeMessagesResponse(res, { customTools: customTools(call) });
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async *stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart> {
    const decoder = new MessagesStreamDecoder({ customTools: customTools(call) });
    const open = (signal: AbortSignal) => this.client.messages.create(this.body(call, true) as never, { signal, headers: this.headers(call) }) as unknown as Promise<AsyncIterable<unknown>>;
    try {
      for await (const event of this.events(open, options.signal)) yield* decoder.push(event);
      yield* decoder.end();
    } catch (err) {
      // events() maps the SDK's errors (a mapped one passes through); the decoder's own are mapped here.
      throw this.mapError(err);
    }
  }

  async countTokens(call: ModelCall, options: CallOptions): Promise<number> {
    const { max_tokens: _max, stream: _stream, ...body } = this.body(call, false);
    try {
      const res: unknown = await this.client.messages.countTokens(body as never, { signal: options.signal, headers: this.headers(call) });
      const parsed = CountTokensResponseSchema.safeParse(res);
      if (!parsed.success) throw new UpstreamFormatError("token count", parsed.error);
      return parsed.data.input_tokens;
    } catch (err) {
      throw this.mapError(err);
    }
  }

  protected mapError(err: unknown): Error {
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof APIConnectionTimeoutError) {
      return new ProviderError(`Upstream timed out after ${this.config.timeoutMs} ms`, 504, "upstream_timeout");
    }
    if (err instanceof UpstreamStreamError) {
      return fromHttpFailure({ status: STREAM_ERROR_STATUS[err.type] ?? 500, message: err.message }, this.secrets);
    }
    if (err instanceof APIError) {
      if (err.cause instanceof ProviderError) return err.cause;
      // The SDK raises a stream's `event: error` as an APIError without a status.
      const streamType = err.status === undefined ? (err.error as { error?: { type?: string } } | undefined)?.error?.type : undefined;
      const status = streamType ? (STREAM_ERROR_STATUS[streamType] ?? 500) : err.status;
      return fromHttpFailure({ status, message: upstreamMessage(err), retryAfter: err.headers?.get?.("retry-after") }, this.secrets);
    }
    return fromOtherFailure(err, this.secrets);
  }
}

/** Free-form tools of the call: their calls come back as `{input}` objects (see the Messages codec). */
function customTools(call: ModelCall): Set<string> {
  return new Set(call.tools?.filter((t) => t.kind === "custom").map((t) => t.name));
}
