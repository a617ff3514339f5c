/**
 * Builds the gateway's state from the `state` config section: in-process for
 * `memory`, Redis-backed (with local fallback) for a `redis://` URL.
 *
 * `shared` is set only for Redis: the package checker should use these stores
 * instead of its own local watchlist and lookup cache. With `memory` the checker
 * keeps its own (persistent lmdb watchlist, in-process LRU).
 */
import type { Registry } from "prom-client";
import type { StateConfig } from "./config.js";
import { MemoryRateLimiter } from "./memory.js";
import { stateMetrics } from "./metrics.js";
import { RedisLink, RedisLookupCache, RedisRateLimiter, RedisWatchlist } from "./redis.js";
import type { LookupCache, RateLimiter, Watchlist } from "./types.js";

export type { StateConfig } from "./config.js";
export { StateConfigSchema, RateLimitsSchema } from "./config.js";
export { MemoryLookupCache, MemoryRateLimiter, MemoryWatchlist } from "./memory.js";

export interface StateHealth {
  backend: "memory" | "redis";
  /** `degraded`: Redis is unreachable and this replica serves from local state. */
  status: "ok" | "degraded";
  detail: string;
  since?: string;
}

export interface SharedStores {
  watchlist: Watchlist;
  /** One cache namespace per use, e.g. `registry:pypi`. */
  lookupCache<V>(namespace: string): LookupCache<V>;
}

export interface GatewayState {
  backend: "memory" | "redis";
  rateLimiter: RateLimiter;
  shared?: SharedStores;
  health(): StateHealth;
  close(): Promise<void>;
}

export interface CreateStateOptions {
  config: StateConfig;
  /** The gateway's prom-client registry; defaults to prom-client's global one. */
  registry?: Registry;
  /** How long startup waits for a first Redis connection before serving on local state. */
  connectWaitMs?: number;
}

export async function createState(options: CreateStateOptions): Promise<GatewayState> {
  const { config } = options;
  if (config.url === "memory") return memoryState();
  const link = new RedisLink({
    url: config.url,
    keyPrefix: config.keyPrefix,
    commandTimeoutMs: config.commandTimeoutMs,
    metrics: stateMetrics(options.registry, "redis"),
  });
  await link.connect(options.connectWaitMs ?? 2000);
  const watchlist = new RedisWatchlist(link);
  const caches = new Map<string, RedisLookupCache<unknown>>();
  return {
    backend: "redis",
    rateLimiter: new RedisRateLimiter(link),
    shared: {
      watchlist,
      lookupCache<V>(namespace: string): LookupCache<V> {
        let cache = caches.get(namespace);
        if (!cache) caches.set(namespace, (cache = new RedisLookupCache<unknown>(link, namespace)));
        return cache as LookupCache<V>;
      },
    },
    health: () => redisHealth(link),
    close: () => link.close(),
  };
}

function memoryState(): GatewayState {
  return {
    backend: "memory",
    rateLimiter: new MemoryRateLimiter(),
    health: () => ({ backend: "memory", status: "ok", detail: "in-process state (single replica)" }),
    close: async () => {},
  };
}

function redisHealth(link: RedisLink): StateHealth {
  const { up, since, lastError } = link.health;
  if (up) return { backend: "redis", status: "ok", detail: "shared state in Redis", since };
  return {
    backend: "redis",
    status: "degraded",
    detail: `Redis unreachable (${lastError ?? "not connected yet"}); serving from local state: watchlist, cache and rate limits are per replica until it returns`,
    since,
  };
}

export { rateLimitSubject } from "./subject.js";
