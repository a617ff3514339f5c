/**
 * A push/pull bridge from callbacks (node-llama-cpp's `onTextChunk`) to an async
 * iterator. Values pushed before anyone pulls are buffered.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private failer: ((e: unknown) => void) | undefined;
  private done = false;
  private error: unknown;

  push(value: T): void {
    if (this.done) return;
    const w = this.waiter;
    if (w) {
      this.waiter = this.failer = undefined;
      w({ value, done: false });
    } else this.buffer.push(value);
  }

  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    const w = this.waiter;
    const f = this.failer;
    this.waiter = this.failer = undefined;
    if (error !== undefined) f?.(error);
    else w?.({ value: undefined, done: true });
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return { value: this.buffer.shift() as T, done: false };
    if (this.done) {
      if (this.error !== undefined) throw this.error;
      return { value: undefined, done: true };
    }
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.failer = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
