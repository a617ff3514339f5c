/**
 * What every upstream reached over HTTP through an official SDK shares (openai's for
 * `openai-compatible` / `openai-responses`, Anthropic's for `anthropic`): the secrets to
 * keep out of errors and logs, the gateway's keep-alive node:http fetch with its size cap,
 * the lifecycle, and streams cut off when the upstream goes silent. Each subclass builds
 * its SDK client on `this.fetch` and maps that SDK's errors.
 */
import type { Logger } from "../util/log.js";
import { createNodeFetch } from "./node-fetch.js";
import { linkedAbort, withIdleTimeout } from "./timing.js";

export interface HttpUpstreamConfig {
  headers: Record<string, string>;
  maxResponseBytes: number;
  timeoutMs: number;
  streamIdleTimeoutMs?: number | undefined;
}

export abstract class HttpUpstream {
  readonly capabilities = { constrain: false };
  protected readonly secrets: string[];
  protected readonly fetch: ReturnType<typeof createNodeFetch>;
  private isReady = false;

  constructor(connection: { apiKey: string; config: HttpUpstreamConfig }) {
    this.secrets = [connection.apiKey, ...Object.values(connection.config.headers)];
    this.fetch = createNodeFetch({ maxBodyBytes: connection.config.maxResponseBytes });
  }

  protected abstract get connection(): HttpUpstreamConfig;

  /**
   * What both SDK clients are built with: the headers' wait as their timeout (the whole answer's
   * deadline and every retry are resilience.ts's: one place, one deadline; an explicit timeout also
   * keeps Anthropic's SDK from refusing a large non-streaming `max_tokens`), the gateway's fetch, and
   * the SDK's own messages (an unparsable SSE event, raw) through the redacting logger, never the console.
   */
  protected sdkOptions(logger: Logger | undefined) {
    const { timeoutMs, headers } = this.connection;
    return { timeout: timeoutMs, maxRetries: 0, defaultHeaders: headers, fetch: this.fetch, ...sdkLogging(logger) };
  }

  /** Maps the SDK's errors to ProviderErrors (an abort stays an abort). */
  protected abstract mapError(err: unknown): Error;

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
      const idleMs = this.connection.streamIdleTimeoutMs ?? this.connection.timeoutMs;
      yield* withIdleTimeout(source, { idleMs, onStall: (e) => link.controller.abort(e) });
    } catch (err) {
      throw this.mapError(link.controller.signal.aborted && !signal.aborted ? link.controller.signal.reason : err);
    } finally {
      link.dispose();
    }
  }
}

/** The SDK's logger interface onto ours (warnings and errors only); silent without one. */
function sdkLogging(logger: Logger | undefined): { logLevel: "off" } | { logLevel: "warn"; logger: Record<"error" | "warn" | "info" | "debug", (msg: string, ...args: unknown[]) => void> } {
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
