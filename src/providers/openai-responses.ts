/**
 * `openai-responses`: an upstream speaking OpenAI's Responses API (`POST /v1/responses`),
 * through the official `openai` SDK's `responses.create`. A client that also spoke
 * Responses is passed through natively (reasoning items with `encrypted_content`,
 * namespaces, built-in tools and unknown fields survive); any other client's call is
 * translated through the parts core. Every answer and event is checked: a malformed
 * answer is a 502, a stream without `response.completed` is refused, and the upstream's
 * own `response.failed` / `error` events are 502s.
 */
import type { Logger } from "../util/log.js";
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import { decodeResponse, encodeResponsesRequest, ResponsesStreamDecoder, UpstreamResponseError } from "../codecs/responses/index.js";
import type { OpenAIResponsesModelConfig } from "../config/schema.js";
import { sanitize } from "../util/sanitize.js";
import { OpenAIUpstream } from "./openai-upstream.js";
import { ProviderError, type CallOptions, type Provider } from "./types.js";

export class OpenAIResponsesProvider extends OpenAIUpstream implements Provider {
  readonly kind = "openai-responses";
  readonly api = "responses" as const;

  constructor(config: OpenAIResponsesModelConfig, options: { logger?: Logger | undefined } = {}) {
    super(config, options);
  }

  async generate(call: ModelCall, options: CallOptions): Promise<Generation> {
    const body = encodeResponsesRequest(call, { model: this.config.model, stream: false });
    try {
      // The raw answer, not the SDK's parsed one: the SDK adds `output_text` and would crash on a malformed `output`.
      const res = await this.client.responses.create(body as never, { signal: options.signal }).asResponse();
      return decodeResponse(await res.json());
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async *stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart> {
    const body = encodeResponsesRequest(call, { model: this.config.model, stream: true });
    const decoder = new ResponsesStreamDecoder();
    try {
      const events = this.events((signal) => this.client.responses.create(body as never, { signal }) as unknown as Promise<AsyncIterable<unknown>>, options.signal);
      for await (const event of events) yield* decoder.push(event);
      yield* decoder.end();
    } catch (err) {
      throw this.mapError(err);
    }
  }

  protected override mapError(err: unknown): Error {
    if (err instanceof UpstreamResponseError) {
      return new ProviderError(`Upstream failed: ${sanitize(err.message, this.secrets)}${err.code ? ` (${err.code})` : ""}`, 502, "upstream_error");
    }
    return super.mapError(err);
  }
}
