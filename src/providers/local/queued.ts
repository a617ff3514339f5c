/**
 * The stream side of a local generation: node-llama-cpp reports through callbacks, the
 * provider yields stream parts. One place owns the order that keeps a pooled sequence safe:
 * when the caller's signal aborts or the consumer stops reading (client gone), the generation
 * is stopped and awaited before the caller's cleanup runs and the sequence goes back to the pool.
 */
import type { StreamPart } from "../../core/parts.js";
import { AsyncQueue } from "../../util/async-queue.js";

export interface QueuedGeneration {
  /** Stops the generation: pass it to node-llama-cpp as its `signal`. */
  stop: AbortSignal;
  /** Where the callbacks push parts. */
  parts: AsyncQueue<StreamPart>;
}

/**
 * Yields the parts `start` pushes until the promise it returns settles (a rejection ends the
 * stream with that error); `cleanup` runs after the generation has stopped, however it ended.
 */
export async function* queuedGeneration(
  signal: AbortSignal,
  start: (g: QueuedGeneration) => Promise<void>,
  cleanup?: () => void,
): AsyncGenerator<StreamPart> {
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  const parts = new AsyncQueue<StreamPart>();
  const done = start({ stop: stop.signal, parts }).then(
    () => parts.end(),
    (err: unknown) => parts.end(err),
  );
  try {
    yield* parts;
    await done;
  } finally {
    stop.abort(new Error("consumer stopped"));
    await done.catch(() => undefined);
    signal.removeEventListener("abort", onAbort);
    cleanup?.();
  }
}
