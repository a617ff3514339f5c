/**
 * Mutable state that N replicas must agree on, behind interfaces with an
 * in-process implementation (the embedded default) and a Redis one (deploy/).
 */
import type { Ecosystem } from "../packages/types.js";

export interface WatchlistEntry {
  ecosystem: Ecosystem;
  name: string;
  firstSeenNotFound: string; // ISO time
  timesSeen: number;
}

export interface Watchlist {
  /** Records a name a registry said does not exist. */
  recordNotFound(ecosystem: Ecosystem, name: string): Promise<void>;
  get(ecosystem: Ecosystem, name: string): Promise<WatchlistEntry | undefined>;
  close(): Promise<void>;
}

/** Cache of live registry lookups; entries expire after `ttlMs`. */
export interface LookupCache<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, ttlMs: number): Promise<void>;
}

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
  remaining: number;
}

export interface RateLimiter {
  /** Consumes `cost` units of `key`'s budget in the current window. */
  consume(key: string, cost: number, limitPerMinute: number): Promise<RateLimitDecision>;
}
