/**
 * `openai-compatible`: any server speaking OpenAI's chat-completions API, through
 * the official `openai` SDK. The request is passed through as parsed (unknown
 * fields included), with `model` already mapped to the upstream's id.
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../api/schema.js";
import type { OpenAICompatibleModelConfig } from "../config/schema.js";
import { sanitize } from "../util/sanitize.js";
import { createNodeFetch } from "./node-fetch.js";
import { ProviderError, type CallOptions, type Provider } from "./types.js";

export class OpenAICompatibleProvider implements Provider {
  readonly kind = "openai-compatible";
  private readonly client: OpenAI;
  private readonly secrets: string[];
  private readonly fetch: ReturnType<typeof createNodeFetch>;
  private isReady = false;

  constructor(private readonly config: OpenAICompatibleModelConfig) {
    const apiKey = config.apiKey ?? process.env.OPENAI_API_KEY ?? "not-needed";
    this.secrets = [apiKey, ...Object.values(config.headers)];
    this.fetch = createNodeFetch({ idleTimeoutMs: config.streamIdleTimeoutMs ?? config.timeoutMs });
    this.client = new OpenAI({
      apiKey,
      baseURL: config.baseURL,
      timeout: config.timeoutMs,
      maxRetries: config.maxRetries,
      defaultHeaders: config.headers,
      fetch: this.fetch,
    });
  }

  async init(): Promise<void> {
    // Remote upstreams are not probed at start: the gateway must boot while an
    // upstream is briefly down, and a probe would spend the operator's quota.
    this.isReady = true;
  }

  ready(): boolean {
    return this.isReady;
  }

  async close(): Promise<void> {
    this.isReady = false;
    this.fetch.close();
  }

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatCompletion> {
    try {
      const body = { ...request, stream: false } as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
      delete (body as { stream_options?: unknown }).stream_options;
      const res = await this.client.chat.completions.create(body, { signal: options.signal });
      return res as unknown as ChatCompletion;
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * Always asks the upstream for a final usage chunk so token metrics work; the
   * route drops it again when the client did not ask for `include_usage`.
   */
  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<ChatCompletionChunk> {
    const body = { ...request, stream: true, stream_options: { ...request.stream_options, include_usage: true } };
    try {
      const stream = await this.client.chat.completions.create(body as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming, {
        signal: options.signal,
      });
      for await (const chunk of stream) yield chunk as unknown as ChatCompletionChunk;
    } catch (err) {
      throw this.mapError(err);
    }
  }

  private mapError(err: unknown): Error {
    if (err instanceof ProviderError) return err;
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof APIConnectionTimeoutError) {
      return new ProviderError(`Upstream timed out after ${this.config.timeoutMs} ms`, 504, "upstream_timeout");
    }
    if (err instanceof APIError) {
      const upstreamMsg = sanitize(extractMessage(err), this.secrets);
      const status = err.status;
      if (status === undefined) return new ProviderError(`Upstream connection failed: ${upstreamMsg}`, 502, "upstream_unreachable");
      if (status === 429) {
        const retry = Number(err.headers?.get?.("retry-after") ?? NaN);
        return new ProviderError(`Upstream rate limited: ${upstreamMsg}`, 429, "upstream_rate_limited", Number.isFinite(retry) ? retry : undefined);
      }
      // Upstream 401/403 are the gateway's configuration problem, not the client's.
      if (status === 401 || status === 403) return new ProviderError(`Upstream rejected the gateway's credentials (${status})`, 502, "upstream_auth");
      if (status >= 400 && status < 500) return new ProviderError(`Upstream rejected the request: ${upstreamMsg}`, status, "upstream_bad_request");
      return new ProviderError(`Upstream error ${status}: ${upstreamMsg}`, 502, "upstream_error");
    }
    const e = err as Error;
    if (e?.name === "AbortError") return e;
    return new ProviderError(`Upstream failed: ${sanitize(e?.message ?? String(err), this.secrets)}`, 502, "upstream_error");
  }
}

function extractMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === "string") return body.message;
  return err.message.replace(/^\d{3}\s*/, "");
}
