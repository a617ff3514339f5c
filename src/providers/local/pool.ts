/**
 * A fixed set of resources (context sequences) handed out one request at a time,
 * with a bounded FIFO wait queue: when the queue is full the request is refused
 * at once (the route answers 429 + Retry-After) instead of piling up latency.
 */
import { ProviderError } from "../types.js";

interface Waiter<T> {
  resolve(item: T): void;
  reject(err: unknown): void;
}

export class Pool<T> {
  private readonly free: T[];
  private readonly all: readonly T[];
  private readonly waiters: Waiter<T>[] = [];

  constructor(
    items: readonly T[],
    private readonly options: { queueLimit: number; retryAfterSeconds?: number; onDepth?: (depth: number) => void; label: string },
  ) {
    this.free = [...items];
    this.all = [...items];
  }

  get depth(): number {
    return this.waiters.length;
  }

  /** Any one item, in use or not, for reading what every item shares (a chat wrapper); never for work. */
  sample(): T {
    return this.all[0]!;
  }

  get available(): number {
    return this.free.length;
  }

  async acquire(signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    const item = this.free.pop();
    if (item !== undefined) return item;
    if (this.waiters.length >= this.options.queueLimit) {
      throw new ProviderError(
        `Model '${this.options.label}' is busy: all sequences are in use and ${this.options.queueLimit} requests are already waiting. Retry later.`,
        429,
        "queue_full",
        this.options.retryAfterSeconds ?? 1,
      );
    }
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (it) => {
          signal.removeEventListener("abort", onAbort);
          resolve(it);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        this.options.onDepth?.(this.waiters.length);
        reject(signal.reason ?? new Error("aborted"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.options.onDepth?.(this.waiters.length);
    });
  }

  release(item: T): void {
    const next = this.waiters.shift();
    if (next) {
      this.options.onDepth?.(this.waiters.length);
      next.resolve(item);
    } else this.free.push(item);
  }

  /** Fails every waiter (used on shutdown). */
  drain(reason: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(reason);
    this.options.onDepth?.(0);
  }
}
