/**
 * Per-request bookkeeping: request id (`x-request-id`, reused when the client sends
 * a sane one), an AbortSignal that fires when the client goes away before the
 * response is finished, one JSON log line, and the request metrics.
 */
import { setMaxListeners } from "node:events";
import type { RequestHandler, Response } from "express";
import { metrics } from "../metrics/index.js";
import { newRequestId } from "../util/ids.js";
import type { Logger } from "../util/log.js";
import type { GatewayRun } from "./service.js";
import { ApiError, ClientClosedError, shuttingDown } from "./errors.js";

const CLIENT_CLOSED = 499;
/** The model-serving routes, counted apart in the in-flight gauge (the rest is `other`). */
const API_ROUTES = new Set(["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/completions"]);

export interface RequestContextOptions {
  /** Fires when the shutdown grace period ends: every request still running is aborted with its reason. */
  shutdown?: AbortSignal | undefined;
}

/** `model` or `model:profile` → the public model name, which is all the metric label keeps. */
function modelOf(requested: unknown): string {
  if (typeof requested !== "string") return "";
  const colon = requested.indexOf(":");
  return colon < 0 ? requested : requested.slice(0, colon);
}

export function requestContext(logger: Logger, options: RequestContextOptions = {}): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    const given = req.get("x-request-id");
    const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : newRequestId();
    const controller = new AbortController();
    // One request fans out to many upstream calls (self-refine rounds, self-detection questions),
    // and the openai SDK leaves a listener per call on the signal until the request ends.
    setMaxListeners(100, controller.signal);
    res.locals.requestId = requestId;
    res.locals.startedAt = startedAt;
    res.locals.signal = controller.signal;
    res.locals.logger = logger;
    res.setHeader("x-request-id", requestId);
    const onShutdown = () => {
      const reason = options.shutdown?.reason instanceof ApiError ? options.shutdown.reason : shuttingDown();
      endStreamWithError(res, reason);
      controller.abort(reason);
    };
    if (options.shutdown?.aborted) onShutdown();
    else options.shutdown?.addEventListener("abort", onShutdown, { once: true });
    const inFlightRoute = API_ROUTES.has(req.path) ? req.path : "other";
    metrics.inFlight.inc({ route: inFlightRoute });
    res.once("close", () => {
      options.shutdown?.removeEventListener("abort", onShutdown);
      const finished = res.writableFinished;
      if (!finished) controller.abort(new ClientClosedError());
      metrics.inFlight.dec({ route: inFlightRoute });
      const seconds = (performance.now() - startedAt) / 1000;
      const status = finished ? res.statusCode : CLIENT_CLOSED;
      const route = (res.locals.route as string | undefined) ?? "unmatched";
      const run = res.locals.run as GatewayRun | undefined;
      const model = run?.model.name ?? modelOf(res.locals.model);
      // Labels are bounded in src/metrics/labels.ts: a model nobody configured is counted as `unknown`.
      metrics.requests.inc({ model, route, status: String(status) });
      if (run) {
        const upstream = run.providerSeconds();
        metrics.requestDuration.observe({ model, route, stream: String(res.locals.stream === true) }, seconds);
        metrics.upstreamLatency.observe({ model, provider: run.provider.kind }, upstream);
        metrics.overhead.observe({ model, route }, Math.max(0, seconds - upstream));
      }
      if (logger.enabled("info")) {
        logger.info("request", {
          requestId,
          method: req.method,
          path: req.path,
          status,
          durationMs: Math.round(seconds * 1e4) / 10,
          ...(model ? { model } : {}),
          ...(run ? { profile: run.profile, upstreamMs: Math.round(run.providerSeconds() * 1e4) / 10 } : {}),
          ...(res.locals.errorCode ? { error: res.locals.errorCode } : {}),
        });
      }
    });
    if (logger.enabled("debug") && req.method === "POST") {
      req.once("end", () => logger.debug("request body", { requestId, body: req.body }));
    }
    next();
  };
}

/**
 * A stream still running at the shutdown deadline ends here with an `error` event,
 * before its pipeline is aborted: an aborted upstream stream may end quietly, and
 * what the pipeline writes after that (a report, `[DONE]`) must not make a cut
 * answer look complete. Its later writes fail on the ended response and are dropped.
 */
function endStreamWithError(res: Response, error: ApiError): void {
  if (!res.headersSent || res.writableEnded || !String(res.getHeader("content-type") ?? "").startsWith("text/event-stream")) return;
  res.on("error", () => undefined);
  // The stream's own API writes its error event (pipeSse leaves the writer here); chat's frame otherwise.
  const frame = res.locals.sseError as ((err: ApiError) => string) | undefined;
  res.end(frame ? frame(error) : `data: ${JSON.stringify(error.body())}\n\n`);
}
