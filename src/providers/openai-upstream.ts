/**
 * What the two upstreams reached through the official `openai` SDK share
 * (`openai-compatible` for chat completions, `openai-responses` for the Responses API):
 * the client over the project's node:http fetch, the lifecycle, idle-timed streams, and
 * the mapping of the SDK's errors to `ProviderError`s with sanitised messages.
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { UpstreamFormatError } from "../codecs/errors.js";
import type { OpenAICompatibleModelConfig } from "../config/schema.js";
import { sanitize } from "../util/sanitize.js";
import { createNodeFetch } from "./node-fetch.js";
import { linkedAbort, withIdleTimeout } from "./timing.js";
import { ProviderError } from "./types.js";

/** The connection fields every SDK-backed model config has. */
export type OpenAIUpstreamConfig = Omit<OpenAICompatibleModelConfig, "provider">;

export abstract class OpenAIUpstream {
  readonly capabilities = { constrain: false };
  protected readonly client: OpenAI;
  protected readonly secrets: string[];
  private readonly fetch: ReturnType<typeof createNodeFetch>;
  private isReady = false;

  constructor(protected readonly config: OpenAIUpstreamConfig) {
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

  /**
   * Opens an SDK stream with a signal of its own and yields its events, cut off (504)
   * when the upstream goes silent for `streamIdleTimeoutMs`. Errors come out mapped.
   */
  protected async *events(open: (signal: AbortSignal) => Promise<AsyncIterable<unknown>>, signal: AbortSignal): AsyncGenerator<unknown> {
    const link = linkedAbort(signal);
    try {
      const source = await open(link.controller.signal);
      const idleMs = this.config.streamIdleTimeoutMs ?? this.config.timeoutMs;
      yield* withIdleTimeout(source, { idleMs, onStall: (e) => link.controller.abort(e) });
    } catch (err) {
      throw this.mapError(link.controller.signal.aborted && !signal.aborted ? link.controller.signal.reason : err);
    } finally {
      link.dispose();
    }
  }

  protected mapError(err: unknown): Error {
    if (err instanceof ProviderError) return err;
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof UpstreamFormatError) return new ProviderError(err.message, 502, "upstream_malformed");
    if (err instanceof APIConnectionTimeoutError) {
      return new ProviderError(`Upstream timed out after ${this.config.timeoutMs} ms`, 504, "upstream_timeout");
    }
    if (err instanceof APIError) return this.mapApiError(err);
    const e = err as Error;
    if (e?.name === "AbortError") return e;
    // A body that is not JSON at all (an HTML error page with status 200) fails in the SDK's parser.
    if (e instanceof SyntaxError) return new ProviderError(`Upstream sent a malformed answer: ${sanitize(e.message, this.secrets)}`, 502, "upstream_malformed");
    return new ProviderError(`Upstream failed: ${sanitize(e?.message ?? String(err), this.secrets)}`, 502, "upstream_error");
  }

  private mapApiError(err: APIError): ProviderError {
    if (err.cause instanceof ProviderError) return err.cause;
    const upstreamMsg = sanitize(extractMessage(err), this.secrets);
    const status = err.status;
    // An error the upstream sent inside a stream (the SDK raises it without a status).
    if (status === undefined && err.error) return new ProviderError(`Upstream failed mid-stream: ${upstreamMsg}`, 502, "upstream_error");
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
}

function extractMessage(err: APIError): string {
  const body = err.error as { message?: unknown } | undefined;
  if (body && typeof body.message === "string") return body.message;
  return err.message.replace(/^\d{3}\s*/, "");
}
