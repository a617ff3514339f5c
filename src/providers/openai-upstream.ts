/**
 * What the two upstreams reached through the official `openai` SDK share
 * (`openai-compatible` for chat completions, `openai-responses` for the Responses API):
 * the client over the project's node:http fetch, the lifecycle, idle-timed streams, and
 * the mapping of the SDK's errors to `ProviderError`s (upstream-errors.ts, shared with the
 * anthropic provider).
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { OpenAICompatibleModelConfig } from "../config/schema.js";
import type { Logger } from "../util/log.js";
import { sanitize } from "../util/sanitize.js";
import { createNodeFetch } from "./node-fetch.js";
import { linkedAbort, withIdleTimeout } from "./timing.js";
import { ProviderError } from "./types.js";
import { fromHttpFailure, fromOtherFailure, upstreamMessage } from "./upstream-errors.js";

/** The connection fields every SDK-backed model config has. */
export type OpenAIUpstreamConfig = Omit<OpenAICompatibleModelConfig, "provider">;

export abstract class OpenAIUpstream {
  readonly capabilities = { constrain: false };
  protected readonly client: OpenAI;
  protected readonly secrets: string[];
  private readonly fetch: ReturnType<typeof createNodeFetch>;
  private isReady = false;

  constructor(
    protected readonly config: OpenAIUpstreamConfig,
    options: { logger?: Logger | undefined } = {},
  ) {
    const apiKey = config.apiKey ?? process.env.OPENAI_API_KEY ?? "not-needed";
    this.secrets = [apiKey, ...Object.values(config.headers)];
    this.fetch = createNodeFetch({ maxBodyBytes: config.maxResponseBytes });
    this.client = new OpenAI({
      apiKey,
      baseURL: config.baseURL,
      // The headers' wait; the whole answer's deadline and every retry are resilience.ts's (one place, one deadline).
      timeout: config.timeoutMs,
      maxRetries: 0,
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
    if (err instanceof APIUserAbortError) return err;
    if (err instanceof APIConnectionTimeoutError) {
      return new ProviderError(`Upstream timed out after ${this.config.timeoutMs} ms`, 504, "upstream_timeout");
    }
    if (err instanceof APIError) {
      if (err.cause instanceof ProviderError) return err.cause;
      // An error the upstream sent inside a stream: the SDK raises it without a status.
      if (err.status === undefined && err.error) return new ProviderError(`Upstream failed mid-stream: ${sanitize(upstreamMessage(err), this.secrets)}`, 502, "upstream_error");
      return fromHttpFailure({ status: err.status, message: upstreamMessage(err), retryAfter: err.headers?.get?.("retry-after") }, this.secrets);
    }
    return fromOtherFailure(err, this.secrets);
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
