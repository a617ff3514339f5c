/**
 * What the two upstreams reached through the official `openai` SDK share
 * (`openai-compatible` for chat completions, `openai-responses` for the Responses API):
 * the client (over HttpUpstream's fetch, lifecycle and idle-timed streams) and
 * the mapping of the SDK's errors to `ProviderError`s (upstream-errors.ts, shared with the
 * anthropic provider).
 */
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { OpenAICompatibleModelConfig } from "../config/schema.js";
import type { Logger } from "../util/log.js";
import { sanitize } from "../util/sanitize.js";
import { HttpUpstream } from "./http-upstream.js";
import { ProviderError } from "./types.js";
import { fromHttpFailure, fromOtherFailure, upstreamMessage } from "./upstream-errors.js";

/** The connection fields every SDK-backed model config has. */
export type OpenAIUpstreamConfig = Omit<OpenAICompatibleModelConfig, "provider">;

export abstract class OpenAIUpstream extends HttpUpstream {
  protected readonly client: OpenAI;

  constructor(
    protected readonly config: OpenAIUpstreamConfig,
    options: { logger?: Logger | undefined } = {},
  ) {
    const apiKey = config.apiKey ?? process.env.OPENAI_API_KEY ?? "not-needed";
    super({ apiKey, config });
    this.client = new OpenAI({
      apiKey,
      baseURL: config.baseURL,
      ...this.sdkOptions(options.logger),
    });
  }

  protected get connection(): OpenAIUpstreamConfig {
    return this.config;
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
