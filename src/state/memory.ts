/**
 * In-process state: what a single gateway uses, and what a Redis-backed replica
 * falls back to while Redis is unreachable.
 */
import { LRUCache } from "lru-cache";
import type { Ecosystem } from "../packages/types.js";
import type { LookupCache, RateLimitDecision, RateLimiter, Watchlist, WatchlistEntry } from "./types.js";
import { decide, windowPosition, type WindowCounts } from "./window.js";

export class MemoryWatchlist implements Watchlist {
  private readonly entries = new Map<string, WatchlistEntry>();

  async recordNotFound(ecosystem: Ecosystem, name: string): Promise<void> {
    this.record({ ecosystem, name, firstSeenNotFound: new Date().toISOString(), timesSeen: 1 });
  }

  /** Merges an entry seen elsewhere (e.g. replayed into Redis after an outage). */
  record(entry: WatchlistEntry): void {
    const key = `${entry.ecosystem}:${entry.name}`;
    const old = this.entries.get(key);
    if (!old) {
      this.entries.set(key, { ...entry });
      return;
    }
    old.timesSeen += entry.timesSeen;
    if (entry.firstSeenNotFound < old.firstSeenNotFound) old.firstSeenNotFound = entry.firstSeenNotFound;
  }

  async get(ecosystem: Ecosystem, name: string): Promise<WatchlistEntry | undefined> {
    const entry = this.entries.get(`${ecosystem}:${name}`);
    return entry ? { ...entry } : undefined;
  }

  /** Removes and returns every entry (used to replay local records into Redis). */
  drain(): WatchlistEntry[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {}
}

export class MemoryLookupCache<V> implements LookupCache<V> {
  // lru-cache needs object-or-primitive values that are not undefined; wrap them.
  private readonly cache: LRUCache<string, { value: V }>;

  constructor(options: { maxEntries?: number } = {}) {
    this.cache = new LRUCache({ max: options.maxEntries ?? 50_000, ttlAutopurge: false });
  }

  async get(key: string): Promise<V | undefined> {
    return this.cache.get(key)?.value;
  }

  async set(key: string, value: V, ttlMs: number): Promise<void> {
    this.cache.set(key, { value }, { ttl: Math.max(1, Math.round(ttlMs)) });
  }
}

interface KeyWindow extends WindowCounts {
  index: number;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, KeyWindow>();

  constructor(private readonly now: () => number = Date.now) {}

  async consume(key: string, cost: number, limitPerMinute: number): Promise<RateLimitDecision> {
    return this.consumeSync(key, cost, limitPerMinute);
  }

  consumeSync(key: string, cost: number, limitPerMinute: number): RateLimitDecision {
    const { index, elapsed } = windowPosition(this.now());
    const window = this.advance(key, index);
    const decision = decide(window, elapsed, cost, limitPerMinute);
    if (decision.allowed) window.current += cost;
    return decision;
  }

  private advance(key: string, index: number): KeyWindow {
    const old = this.windows.get(key);
    let next: KeyWindow;
    if (!old || old.index < index - 1) next = { index, current: 0, previous: 0 };
    else if (old.index === index - 1) next = { index, current: 0, previous: old.current };
    else return old;
    this.windows.set(key, next);
    if (this.windows.size > 100_000) this.evictStale(index);
    return next;
  }

  private evictStale(index: number): void {
    for (const [key, window] of this.windows) if (window.index < index - 1) this.windows.delete(key);
  }
}
