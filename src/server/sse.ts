/**
 * Server-sent events in OpenAI's byte format: `data: {json}\n\n` per chunk, then
 * `data: [DONE]\n\n`. Writes wait for 'drain' when the socket buffer is full, so a
 * slow client slows the producer instead of growing memory.
 */
import { once } from "node:events";
import type { Response } from "express";
import type { ChatCompletionChunk, Usage } from "../api/schema.js";
import { metrics } from "../metrics/index.js";
import { toApiError } from "./errors.js";

export interface SseOptions {
  includeUsage: boolean;
  headers: () => Record<string, string>;
  onFirstContent?: () => void;
  onUsage?: (usage: Usage) => void;
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" };

/**
 * Awaits the first chunk before sending headers, so failures that happen before
 * any output (queue full, upstream 5xx) still get their real status code.
 */
export async function pipeSse(res: Response, chunks: AsyncIterable<ChatCompletionChunk>, options: SseOptions): Promise<void> {
  const it = chunks[Symbol.asyncIterator]();
  let first: IteratorResult<ChatCompletionChunk>;
  try {
    first = await it.next();
  } catch (err) {
    await it.return?.();
    throw err;
  }
  if (res.destroyed) return void (await it.return?.());
  res.writeHead(200, { ...SSE_HEADERS, ...options.headers() });
  res.flushHeaders();
  let sawContent = false;
  try {
    for (let r = first; !r.done; r = await it.next()) {
      const chunk = prepare(r.value, options);
      if (!chunk) continue;
      if (!sawContent && hasContent(chunk)) {
        sawContent = true;
        options.onFirstContent?.();
      }
      if (!(await write(res, `data: ${JSON.stringify(chunk)}\n\n`))) return void (await it.return?.());
    }
    res.end("data: [DONE]\n\n");
  } catch (err) {
    if (res.destroyed) return;
    // Headers are gone; OpenAI's clients read an `error` event and raise it.
    res.end(`data: ${JSON.stringify(toApiError(err).body())}\n\n`);
  }
}

/** Records usage and strips it when the client did not ask for `include_usage`. */
function prepare(chunk: ChatCompletionChunk, options: SseOptions): ChatCompletionChunk | undefined {
  if (!chunk.usage) return chunk;
  options.onUsage?.(chunk.usage);
  if (options.includeUsage) return chunk;
  const { usage: _usage, ...rest } = chunk;
  // A usage-only chunk has nothing else to say; a chunk with extra fields (e.g. a slopguard report) stays.
  if (rest.choices.length === 0 && Object.keys(rest).every((k) => STANDARD_KEYS.has(k))) return undefined;
  return rest as ChatCompletionChunk;
}

const STANDARD_KEYS = new Set(["id", "object", "created", "model", "choices", "system_fingerprint", "service_tier", "obfuscation"]);

function hasContent(chunk: ChatCompletionChunk): boolean {
  return chunk.choices.some((c) => (c.delta.content ?? "") !== "" || (c.delta.tool_calls?.length ?? 0) > 0);
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
