/**
 * Stall detection for upstream streams, per decoded event rather than per byte: an
 * upstream that sends SSE comments (keep-alive pings) but no data is still stalled.
 * The clock runs only while the consumer waits for the next event, so a client that
 * reads slowly (backpressure stops the pulls) is never mistaken for a stalled upstream.
 */
import { ProviderError } from "./types.js";

export async function* withIdleTimeout<T>(source: AsyncIterable<T>, options: { idleMs: number | undefined; onStall: (err: ProviderError) => void }): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const { idleMs } = options;
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const next = it.next();
      const r = idleMs
        ? await Promise.race([
            next,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const err = new ProviderError(`Upstream stopped sending mid-stream: nothing for ${idleMs} ms`, 504, "upstream_timeout");
                options.onStall(err);
                next.catch(() => undefined); // the aborted read rejects later; nobody waits for it
                reject(err);
              }, idleMs);
            }),
          ]).finally(() => clearTimeout(timer))
        : await next;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/** An AbortController that also aborts when `parent` does; `dispose` unhooks it. */
export function linkedAbort(parent: AbortSignal): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener("abort", onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener("abort", onAbort) };
}
