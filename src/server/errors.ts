/**
 * Every error a client sees has OpenAI's shape `{error: {message, type, param, code}}`.
 * Handlers throw `ApiError` (or a provider's `ProviderError`); the error middleware
 * maps everything else, including body-parser and zod failures, onto it.
 */
import type { ErrorRequestHandler, RequestHandler } from "express";
import { APIUserAbortError } from "openai";
import { ZodError } from "zod";
import { ProviderError } from "../providers/types.js";
import type { Logger } from "../util/log.js";

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): ErrorBody {
    return {
      error: {
        message: this.message,
        type: this.options.type ?? typeForStatus(this.status),
        param: this.options.param ?? null,
        code: this.options.code ?? null,
      },
    };
  }
}

function typeForStatus(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 404) return "invalid_request_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** The abort reason request-context gives a request whose client went away (nobody left to answer). */
export class ClientClosedError extends Error {
  constructor() {
    super("client disconnected");
    this.name = "ClientClosedError";
  }
}

/** The abort reason of requests still running when the shutdown grace period ends. */
export const shuttingDown = () =>
  new ApiError(503, "The gateway is shutting down and cancelled this request; retry it.", { code: "server_shutting_down", headers: { connection: "close" } });

const isAbort = (err: unknown) => err instanceof APIUserAbortError || (err as Error | undefined)?.name === "AbortError";

/** Names the offending field the way OpenAI does (`messages[0].role`). */
export function zodPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

export function fromZod(err: ZodError, prefix = ""): ApiError {
  const issue = err.issues[0];
  const param = issue ? prefix + zodPath(issue.path) : null;
  const message = issue ? `Invalid value for '${param || "body"}': ${issue.message}` : "Invalid request body";
  return new ApiError(400, message, { param: param || null, code: "invalid_value" });
}

/** Maps any thrown value to an ApiError; unknown errors become a generic 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ProviderError) {
    const headers: Record<string, string> = err.retryAfterSeconds !== undefined ? { "retry-after": String(err.retryAfterSeconds) } : {};
    return new ApiError(err.status, err.message, { code: err.code, headers });
  }
  if (err instanceof ZodError) return fromZod(err);
  // An abort that still has a client to answer was the gateway's own doing: only the shutdown deadline aborts
  // a live request (client disconnects have no one to answer; upstream timeouts arrive as ProviderErrors).
  if (isAbort(err)) return shuttingDown();
  const e = err as { type?: string; status?: number; statusCode?: number; limit?: number } | undefined;
  // body-parser's errors carry a `type`; express passes them to the error handler.
  if (e?.type === "entity.too.large") {
    return new ApiError(413, `Request body too large (limit ${e.limit ?? "?"} bytes)`, { code: "request_too_large" });
  }
  if (e?.type === "entity.parse.failed") {
    return new ApiError(400, "We could not parse the JSON body of your request.", { code: "invalid_json" });
  }
  if (e?.type === "encoding.unsupported" || e?.type === "charset.unsupported") {
    return new ApiError(415, "Unsupported request encoding", { code: "unsupported_encoding" });
  }
  // Other parts' client errors (e.g. an unknown mitigation profile) carry status/param/code.
  const status = e?.status ?? e?.statusCode;
  if (status && status >= 400 && status < 500) {
    const x = err as { message?: string; param?: unknown; code?: unknown };
    return new ApiError(status, x.message ?? "Bad request", {
      param: typeof x.param === "string" ? x.param : null,
      code: typeof x.code === "string" ? x.code : null,
    });
  }
  return new ApiError(500, "The gateway had an internal error while processing your request.", { code: "internal_error" });
}

/**
 * How one API writes an error body. OpenAI's shape is the default; a route of another
 * API (Anthropic's Messages: `{type: "error", error: {type, message}}`) installs its own
 * with `useErrorShape` before the body parser and auth, so their errors take it too.
 */
export type ErrorShape = (err: ApiError) => unknown;

export function useErrorShape(shape: ErrorShape): RequestHandler {
  return (_req, res, next) => {
    res.locals.errorShape = shape;
    next();
  };
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const logger = res.locals.logger as Logger | undefined;
  const signal = res.locals.signal as AbortSignal | undefined;
  // A client that left before the answer is routine (the request log line says 499), not a gateway error.
  if (signal?.reason instanceof ClientClosedError || res.destroyed) {
    logger?.debug("client went away", { requestId: res.locals.requestId, path: req.path, err });
    return;
  }
  const apiError = signal?.reason instanceof ApiError ? signal.reason : toApiError(err);
  if (apiError.status >= 500 && apiError.options.code === "internal_error") {
    logger?.error("unhandled error", { requestId: res.locals.requestId, err, path: req.path });
  }
  res.locals.errorCode = apiError.options.code;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // What the gateway tried before failing (x-slopguard-attempts), when the request reached a model.
  const run = res.locals.run as { headers(): Record<string, string> } | undefined;
  for (const [k, v] of Object.entries({ ...run?.headers(), ...apiError.options.headers })) res.setHeader(k, v);
  const shape = res.locals.errorShape as ErrorShape | undefined;
  res.status(apiError.status).json(shape ? shape(apiError) : apiError.body());
};

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, `Unknown request URL: ${req.method} ${req.path}. Please check the URL and method.`, { code: "unknown_url" }));
};
