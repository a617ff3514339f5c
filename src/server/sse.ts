/**
 * Server-sent events for every streaming API. A codec turns each part into SSE frames
 * (`data: {json}` for chat, `event: x` + `data:` for the typed APIs). Writes wait for
 * 'drain' when the socket buffer is full, so a slow client slows the producer instead
 * of growing memory; a client that leaves stops the producer (and so the upstream).
 */
import { once } from "node:events";
import type { Response } from "express";
import type { Usage } from "../core/parts.js";
import { metrics } from "../metrics/index.js";
import type { OutPart, StreamWriter } from "../codecs/types.js";
import { toApiError, type ApiError } from "./errors.js";

export interface SseOptions {
  headers: () => Record<string, string>;
  onFirstContent?: () => void;
  onUsage?: (usage: Usage) => void;
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" };

/**
 * Awaits the first part before sending headers, so failures that happen before any
 * output (queue full, upstream 5xx) still get their real status code.
 */
export async function pipeSse(res: Response, parts: AsyncIterable<OutPart>, writer: StreamWriter, options: SseOptions): Promise<void> {
  const it = parts[Symbol.asyncIterator]();
  let first: IteratorResult<OutPart>;
  try {
    first = await it.next();
  } catch (err) {
    await it.return?.();
    throw err;
  }
  if (res.destroyed) return void (await it.return?.());
  // A stream cut from outside (the shutdown deadline, request-context.ts) ends in this API's error event.
  res.locals.sseError = (err: ApiError) => writer.error(err).join("");
  res.writeHead(200, { ...SSE_HEADERS, ...options.headers() });
  res.flushHeaders();
  let sawContent = false;
  try {
    for (let r = first; !r.done; r = await it.next()) {
      const part = r.value;
      if (!sawContent && (part.type === "text-delta" || part.type === "tool-call-start" || part.type === "reasoning-delta")) {
        sawContent = true;
        options.onFirstContent?.();
      }
      if (part.type === "finish" && part.usage) options.onUsage?.(part.usage);
      for (const frame of writer.frames(part)) {
        if (!(await write(res, frame))) return void (await it.return?.());
      }
    }
    res.end(writer.end().join(""));
  } catch (err) {
    if (res.destroyed) return;
    // Headers are gone: the API's error event, and no end marker, so a cut answer never looks complete.
    const apiError = toApiError(err);
    res.locals.errorCode = apiError.options.code;
    res.end(writer.error(apiError).join(""));
  }
}

async function write(res: Response, data: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(data)) return true;
  metrics.backpressureWaits.inc();
  // The losing listener must go: a long stream waits for drain many times.
  const done = new AbortController();
  const opts = { signal: done.signal };
  const ignoreAbort = () => false;
  try {
    return await Promise.race([
      once(res, "drain", opts).then(() => !res.destroyed, ignoreAbort),
      once(res, "close", opts).then(() => false, ignoreAbort),
    ]);
  } finally {
    done.abort();
  }
}
