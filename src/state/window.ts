/**
 * Sliding-window rate limiting, as Cloudflare describes it: the count of the
 * previous fixed window is weighted by how much of it still overlaps the last
 * 60 s. Two integers per key and window make it cheap in Redis, and a fresh key
 * admits exactly `limit` units, which is what users read "N per minute" as.
 * The same rule runs in-process (memory.ts) and inside a Redis Lua script (redis.ts).
 */
import type { RateLimitDecision } from "./types.js";

export const WINDOW_MS = 60_000;

export interface WindowPosition {
  /** Index of the fixed window `now` falls in. */
  index: number;
  /** Fraction of that window already elapsed, in [0, 1). */
  elapsed: number;
}

export function windowPosition(nowMs: number): WindowPosition {
  return { index: Math.floor(nowMs / WINDOW_MS), elapsed: (nowMs % WINDOW_MS) / WINDOW_MS };
}

export interface WindowCounts {
  current: number;
  previous: number;
}

/**
 * Cost 0 is a peek: it is allowed while any budget is left. The token limiter
 * uses it to admit a request before its token count is known.
 */
export function admits(counts: WindowCounts, elapsed: number, cost: number, limit: number): boolean {
  const estimate = counts.previous * (1 - elapsed) + counts.current;
  return cost > 0 ? estimate + cost <= limit : estimate < limit;
}

/** Seconds until `cost` would be admitted, assuming nothing else is consumed meanwhile. */
export function retryAfterSeconds(counts: WindowCounts, elapsed: number, cost: number, limit: number): number {
  const need = cost > 0 ? limit - cost : limit - 1e-9;
  if (need < 0) return Math.ceil(WINDOW_MS / 1000);
  let waitFraction: number;
  if (counts.current <= need && counts.previous > 0) {
    // Still inside this window: wait until the previous window's weight has decayed enough.
    waitFraction = Math.max(0, 1 - (need - counts.current) / counts.previous - elapsed);
  } else {
    // Only the next window can admit it, once this window's weight has decayed enough.
    const next = counts.current > 0 ? Math.max(0, 1 - need / counts.current) : 0;
    waitFraction = 1 - elapsed + next;
  }
  // The epsilon keeps float noise (2.9999…→3, 3.0000…1→4) from adding a second.
  return Math.max(1, Math.ceil((waitFraction * WINDOW_MS) / 1000 - 1e-6));
}

export function decide(counts: WindowCounts, elapsed: number, cost: number, limit: number): RateLimitDecision {
  const allowed = admits(counts, elapsed, cost, limit);
  const used = counts.previous * (1 - elapsed) + counts.current + (allowed ? cost : 0);
  return {
    allowed,
    retryAfterSeconds: allowed ? 0 : retryAfterSeconds(counts, elapsed, cost, limit),
    remaining: Math.max(0, Math.floor(limit - used)),
  };
}
