/**
 * `openai-compatible`: any server speaking OpenAI's chat-completions API, through
 * the official `openai` SDK. The call is encoded by the chat codec (unknown request
 * fields pass through when the client also spoke chat), and every answer and chunk
 * is checked before use: a malformed or truncated upstream is a 502, never a crash
 * and never an answer that looks complete.
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import { encodeChatRequest } from "../codecs/chat/request.js";
import { decodeChatCompletion } from "../codecs/chat/response.js";
import { ChatStreamDecoder } from "../codecs/chat/stream.js";
import { UpstreamFormatError } from "../codecs/errors.js";
import type { OpenAICompatibleModelConfig } from "../config/schema.js";
import type { Logger } from "../util/log.js";
import { sanitize } from "../util/sanitize.js";
import { createNodeFetch } from "./node-fetch.js";
import { linkedAbort, withIdleTimeout } from "./timing.js";
import { ProviderError, type CallOptions, type Provider } from "./types.js";

type Body = Record<string, unknown>;

export class OpenAICompatibleProvider implements Provider {
  readonly kind = "openai-compatible";
  readonly api = "chat" as const;
  readonly capabilities = { constrain: false };
  private readonly client: OpenAI;
  private readonly secrets: string[];
  private readonly fetch: ReturnType<typeof createNodeFetch>;
  private isReady = false;

  constructor(
    private readonly config: OpenAICompatibleModelConfig,
    options: { logger?: Logger | undefined } = {},
  ) {
    const apiKey = config.apiKey ?? process.env.OPENAI_API_KEY ?? "not-needed";
    this.secrets = [apiKey, ...Object.values(config.headers)];
    this.fetch = createNodeFetch({ maxBodyBytes: config.maxResponseBytes });
    this.client = new OpenAI({
      apiKey,
      baseURL: config.baseURL,
      timeout: config.timeoutMs,
      maxRetries: config.maxRetries,
      defaultHeaders: config.headers,
      fetch: this.fetch,
      // The SDK's own messages (an unparsable SSE event, raw) go through the gateway's redacting logger, never the console.
      ...sdkLogging(options.logger),
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

  async generate(call: ModelCall, options: CallOptions): Promise<Generation> {
    const body = encodeChatRequest(call, { model: this.config.model, stream: false });
    try {
      const res: unknown = await this.client.chat.completions.create(body as never, { signal: options.signal });
      return decodeChatCompletion(res);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async *stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart> {
    const body: Body = encodeChatRequest(call, { model: this.config.model, stream: true });
    const link = linkedAbort(options.signal);
    try {
      const chunks = await this.client.chat.completions.create(body as never, { signal: link.controller.signal });
      const decoder = new ChatStreamDecoder();
      const idleMs = this.config.streamIdleTimeoutMs ?? this.config.timeoutMs;
      for await (const chunk of withIdleTimeout(chunks as unknown as AsyncIterable<unknown>, { idleMs, onStall: (e) => link.controller.abort(e) })) {
        yield* decoder.push(chunk);
      }
      yield* decoder.end();
    } catch (err) {
      throw this.mapError(link.controller.signal.aborted && !options.signal.aborted ? link.controller.signal.reason : err);
    } finally {
      link.dispose();
    }
  }

  private mapError(err: unknown): Error {
    if (err instanceof ProviderError) return err;
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof UpstreamFormatError) return new ProviderError(err.message, 502, "upstream_malformed");
    if (err instanceof APIConnectionTimeoutError) {
      return new ProviderError(`Upstream timed out after ${this.config.timeoutMs} ms`, 504, "upstream_timeout");
    }
    if (err instanceof APIError) {
      if (err.cause instanceof ProviderError) return err.cause;
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
    // A body that is not JSON at all (an HTML error page with status 200) fails in the SDK's parser.
    if (e instanceof SyntaxError) return new ProviderError(`Upstream sent a malformed answer: ${sanitize(e.message, this.secrets)}`, 502, "upstream_malformed");
    return new ProviderError(`Upstream failed: ${sanitize(e?.message ?? String(err), this.secrets)}`, 502, "upstream_error");
  }
}

/** The SDK's logger interface onto ours (warnings and errors only); silent without one. */
export function sdkLogging(logger: Logger | undefined): { logLevel: "off" } | { logLevel: "warn"; logger: Record<"error" | "warn" | "info" | "debug", (msg: string, ...args: unknown[]) => void> } {
  if (!logger) return { logLevel: "off" };
  const field = (args: unknown[]) => (args.length ? { args: args.map((a) => (a instanceof Error ? a.message : a)) } : {});
  return {
    logLevel: "warn",
    logger: {
      error: (msg, ...args) => logger.warn("upstream sdk", { sdkLevel: "error", sdkMessage: String(msg), ...field(args) }),
      warn: (msg, ...args) => logger.warn("upstream sdk", { sdkLevel: "warn", sdkMessage: String(msg), ...field(args) }),
      info: () => undefined,
      debug: () => undefined,
    },
  };
}

function extractMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === "string") return body.message;
  return err.message.replace(/^\d{3}\s*/, "");
}
