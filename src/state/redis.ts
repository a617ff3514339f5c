/**
 * Redis-backed state shared by replicas. Every operation degrades to the
 * in-process implementation when Redis is unreachable or slow, so a Redis
 * outage costs cross-replica agreement, never availability. Nothing here is
 * on the authentication path: API keys are checked from config in-process.
 */
import { Redis } from "ioredis";
import { normalizeName } from "../packages/names.js";
import type { Ecosystem } from "../packages/types.js";
import { MemoryLookupCache, MemoryRateLimiter, MemoryWatchlist } from "./memory.js";
import type { StateMetrics } from "./metrics.js";
import type { LookupCache, RateLimitDecision, RateLimiter, Watchlist, WatchlistEntry } from "./types.js";
import { decide, retryAfterSeconds, windowPosition } from "./window.js";

export interface RedisLinkOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  metrics: StateMetrics;
}

export interface LinkHealth {
  up: boolean;
  /** ISO time of the last change between up and down. */
  since: string;
  lastError?: string;
}

/** One ioredis connection plus the up/down bookkeeping every store shares. */
export class RedisLink {
  readonly client: Redis;
  readonly prefix: string;
  private state: LinkHealth = { up: false, since: new Date().toISOString() };
  private readonly upListeners: Array<() => void> = [];

  constructor(private readonly options: RedisLinkOptions) {
    this.prefix = options.keyPrefix;
    this.client = new Redis(options.url, {
      lazyConnect: true,
      // Fail fast while disconnected instead of queueing requests behind a dead link.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1000, options.commandTimeoutMs * 2),
      retryStrategy: (times) => Math.min(100 * times, 2000),
    });
    this.client.on("ready", () => this.mark(true));
    this.client.on("error", (error: Error) => this.mark(false, error.message));
    this.client.on("end", () => this.mark(false, "connection closed"));
    this.client.on("close", () => this.mark(false, "connection closed"));
    options.metrics.backendUp.set(0);
  }

  /** Connects, waiting at most `waitMs`; a Redis that is down at startup is not fatal. */
  async connect(waitMs: number): Promise<void> {
    const connecting = this.client.connect().catch(() => undefined);
    await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }

  get health(): LinkHealth {
    return { ...this.state };
  }

  onUp(listener: () => void): void {
    this.upListeners.push(listener);
  }

  /** Runs `remote` against Redis, or `local` when Redis is down or the command fails. */
  async run<T>(operation: string, remote: (client: Redis) => Promise<T>, local: () => Promise<T> | T): Promise<T> {
    if (this.client.status === "ready") {
      try {
        const result = await remote(this.client);
        if (!this.state.up) this.mark(true);
        return result;
      } catch (error) {
        // A timed-out or failed command on an open connection still means Redis is not serving us.
        this.mark(false, (error as Error).message);
      }
    }
    this.options.metrics.fallbacks.inc({ operation });
    return local();
  }

  async close(): Promise<void> {
    this.upListeners.length = 0;
    if (this.client.status === "end") return;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private mark(up: boolean, error?: string): void {
    if (error) this.state.lastError = error;
    if (this.state.up === up) return;
    this.state = { ...this.state, up, since: new Date().toISOString() };
    this.options.metrics.backendUp.set(up ? 1 : 0);
    if (up) for (const listener of this.upListeners) listener();
  }
}

export class RedisWatchlist implements Watchlist {
  private readonly local = new MemoryWatchlist();

  constructor(private readonly link: RedisLink) {
    // Names recorded during an outage would otherwise stay on one replica only.
    link.onUp(() => void this.replay());
  }

  /** Normalised as the LMDB watchlist does, so `PyYAML` and `pyyaml` are one entry. */
  private key(ecosystem: Ecosystem, name: string): string {
    return `${this.link.prefix}wl:${ecosystem}:${normalizeName(ecosystem, name)}`;
  }

  async recordNotFound(ecosystem: Ecosystem, name: string): Promise<void> {
    const entry = { ecosystem, name: normalizeName(ecosystem, name), firstSeenNotFound: new Date().toISOString(), timesSeen: 1 };
    await this.link.run(
      "watchlist_record",
      (client) => this.write(client, entry),
      () => this.local.record(entry),
    );
  }

  async get(ecosystem: Ecosystem, name: string): Promise<WatchlistEntry | undefined> {
    const remote = await this.link.run(
      "watchlist_get",
      async (client) => parseEntry(ecosystem, normalizeName(ecosystem, name), await client.hgetall(this.key(ecosystem, name))),
      () => undefined,
    );
    return remote ?? (await this.local.get(ecosystem, normalizeName(ecosystem, name)));
  }

  async close(): Promise<void> {}

  private async write(client: Redis, entry: WatchlistEntry): Promise<void> {
    const key = this.key(entry.ecosystem, entry.name);
    await client.multi().hsetnx(key, "first", entry.firstSeenNotFound).hincrby(key, "n", entry.timesSeen).exec();
  }

  private async replay(): Promise<void> {
    const pending = this.local.drain();
    for (const [index, entry] of pending.entries()) {
      try {
        await this.write(this.link.client, entry);
      } catch {
        for (const left of pending.slice(index)) this.local.record(left);
        return;
      }
    }
  }
}

function parseEntry(ecosystem: Ecosystem, name: string, hash: Record<string, string>): WatchlistEntry | undefined {
  if (!hash.first) return undefined;
  return { ecosystem, name, firstSeenNotFound: hash.first, timesSeen: Number(hash.n ?? "1") };
}

export class RedisLookupCache<V> implements LookupCache<V> {
  private readonly local = new MemoryLookupCache<V>();

  constructor(
    private readonly link: RedisLink,
    private readonly namespace: string,
  ) {}

  private key(key: string): string {
    return `${this.link.prefix}lc:${this.namespace}:${key}`;
  }

  async get(key: string): Promise<V | undefined> {
    return this.link.run(
      "cache_get",
      async (client) => {
        const raw = await client.get(this.key(key));
        return raw === null ? undefined : (JSON.parse(raw) as V);
      },
      () => this.local.get(key),
    );
  }

  async set(key: string, value: V, ttlMs: number): Promise<void> {
    const ttl = Math.max(1, Math.round(ttlMs));
    await this.link.run(
      "cache_set",
      async (client) => void (await client.set(this.key(key), JSON.stringify(value), "PX", ttl)),
      () => this.local.set(key, value, ttl),
    );
  }
}

// Check and increment in one round trip, atomically across replicas. Mirrors window.ts.
const CONSUME_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local elapsed = tonumber(ARGV[3])
local est = prev * (1 - elapsed) + cur
local ok = 0
if cost > 0 then
  if est + cost <= limit then ok = 1 end
elseif est < limit then ok = 1 end
if ok == 1 and cost > 0 then
  redis.call('INCRBY', KEYS[1], cost)
  redis.call('PEXPIRE', KEYS[1], 130000)
end
return {ok, cur, prev}
`;

interface ConsumeCommand {
  slopguardConsume(current: string, previous: string, cost: number, limit: number, elapsed: string): Promise<[number, number, number]>;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly local = new MemoryRateLimiter();

  constructor(private readonly link: RedisLink) {
    link.client.defineCommand("slopguardConsume", { numberOfKeys: 2, lua: CONSUME_LUA });
  }

  async consume(key: string, cost: number, limitPerMinute: number): Promise<RateLimitDecision> {
    return this.link.run(
      "rate_limit",
      async (client) => {
        const { index, elapsed } = windowPosition(Date.now());
        // The hash tag keeps both windows of a key in one Redis Cluster slot.
        const base = `${this.link.prefix}rl:{${key}}:`;
        const command = client as unknown as ConsumeCommand;
        const [ok, current, previous] = await command.slopguardConsume(
          `${base}${index}`,
          `${base}${index - 1}`,
          cost,
          limitPerMinute,
          elapsed.toFixed(6),
        );
        const decision = decide({ current, previous }, elapsed, cost, limitPerMinute);
        // The script's verdict is authoritative; `decide` only supplies remaining and Retry-After.
        if (ok === 1) return { ...decision, allowed: true, retryAfterSeconds: 0 };
        return { ...decision, allowed: false, retryAfterSeconds: retryAfterSeconds({ current, previous }, elapsed, cost, limitPerMinute) };
      },
      () => this.local.consume(key, cost, limitPerMinute),
    );
  }
}
