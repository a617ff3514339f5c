/**
 * How every remote provider turns an upstream failure into what the client sees,
 * whichever SDK raised it (openai, @anthropic-ai/sdk): the SDK-specific part only
 * reads the status, message and headers off its own error class.
 */
import { UpstreamFormatError } from "../codecs/errors.js";
import { sanitize } from "../util/sanitize.js";
import { ProviderError } from "./types.js";

export interface HttpFailure {
  /** Absent when no response came (connection refused, reset). */
  status: number | undefined;
  /** The upstream's own message, before sanitising. */
  message: string;
  retryAfter?: string | null | undefined;
}

/** An upstream's HTTP error status → the gateway's status and code. Messages lose the gateway's secrets. */
export function fromHttpFailure(f: HttpFailure, secrets: readonly string[]): ProviderError {
  const msg = sanitize(f.message, [...secrets]);
  const status = f.status;
  if (status === undefined) return new ProviderError(`Upstream connection failed: ${msg}`, 502, "upstream_unreachable");
  if (status === 429) return new ProviderError(`Upstream rate limited: ${msg}`, 429, "upstream_rate_limited", retryAfterSeconds(f.retryAfter));
  // Upstream 401/403 are the gateway's configuration problem, not the client's.
  if (status === 401 || status === 403) return new ProviderError(`Upstream rejected the gateway's credentials (${status})`, 502, "upstream_auth");
  // Anthropic's 529: the upstream is overloaded; the client may retry later, as with any 503.
  if (status === 529) return new ProviderError(`Upstream overloaded: ${msg}`, 503, "upstream_overloaded");
  if (status >= 400 && status < 500) return new ProviderError(`Upstream rejected the request: ${msg}`, status, "upstream_bad_request");
  return new ProviderError(`Upstream error ${status}: ${msg}`, 502, "upstream_error");
}

/** `Retry-After` as whole seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now) / 1000)) : undefined;
}

/** Failures that are not an HTTP status: malformed payloads, aborts, anything else. */
export function fromOtherFailure(err: unknown, secrets: readonly string[]): Error {
  if (err instanceof ProviderError) return err;
  if (err instanceof UpstreamFormatError) return new ProviderError(err.message, 502, "upstream_malformed");
  const e = err as Error;
  if (e?.name === "AbortError") return e;
  // A body that is not JSON at all (an HTML error page with status 200) fails in the SDK's parser.
  if (e instanceof SyntaxError) return new ProviderError(`Upstream sent a malformed answer: ${sanitize(e.message, [...secrets])}`, 502, "upstream_malformed");
  return new ProviderError(`Upstream failed: ${sanitize(e?.message ?? String(err), [...secrets])}`, 502, "upstream_error");
}

/** The message inside an SDK error's body (`{error: {message}}` for both APIs), else the error's own. */
export function upstreamMessage(err: { error?: unknown; message: string }): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  if (body && typeof body.message === "string") return body.message;
  if (body?.error && typeof body.error.message === "string") return body.error.message;
  return err.message.replace(/^\d{3}\s*/, "");
}
