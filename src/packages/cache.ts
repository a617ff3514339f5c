/** In-process LookupCache: LRU with per-entry TTL. Redis-backed ones (src/state) plug in through the same interface. */
import { LRUCache } from "lru-cache";
import type { LookupCache } from "../state/types.js";

export class MemoryLookupCache<V extends object> implements LookupCache<V> {
  private readonly lru: LRUCache<string, V>;

  constructor(maxEntries: number) {
    this.lru = new LRUCache<string, V>({ max: maxEntries, ttlAutopurge: false });
  }

  async get(key: string): Promise<V | undefined> {
    return this.lru.get(key);
  }

  async set(key: string, value: V, ttlMs: number): Promise<void> {
    this.lru.set(key, value, { ttl: ttlMs });
  }
}
