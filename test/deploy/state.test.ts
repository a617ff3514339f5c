/**
 * The state layer against a real redis-server: two GatewayState instances stand
 * in for two replicas (the gateway-process version is replicas.test.ts).
 */
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateConfigSchema } from "../../src/state/config.js";
import { createState, MemoryRateLimiter, type GatewayState } from "../../src/state/index.js";
import { decide, retryAfterSeconds } from "../../src/state/window.js";
import { clearOfWindowEdge, startRedis, type RedisServer } from "./redis-server.js";

describe("sliding window", () => {
  it("admits exactly the limit on a fresh key and then refuses", () => {
    let now = 120_000 + 30_000; // half-way through a window
    const limiter = new MemoryRateLimiter(() => now);
    const results = Array.from({ length: 7 }, () => limiter.consumeSync("k", 1, 5));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results[4]?.remaining).toBe(0);
    // 5 used in this window; the next window weights them by what is left of it.
    expect(results[5]?.retryAfterSeconds).toBe(30 + 12);
    now += 42_000;
    expect(limiter.consumeSync("k", 1, 5).allowed).toBe(true);
    expect(limiter.consumeSync("k", 1, 5).allowed).toBe(false);
  });

  it("weights the previous window and computes Retry-After inside the window", () => {
    // 10 used last window, 0 now, 25 % into this window: estimate 7.5 of 10.
    expect(decide({ previous: 10, current: 0 }, 0.25, 2, 10).allowed).toBe(true);
    expect(decide({ previous: 10, current: 0 }, 0.25, 3, 10).allowed).toBe(false);
    // Needs the estimate to fall to 7: 10·(1−f) ≤ 7 → f ≥ 0.3, i.e. 3 s from now.
    expect(retryAfterSeconds({ previous: 10, current: 0 }, 0.25, 3, 10)).toBe(3);
  });

  it("treats cost 0 as a peek that passes while budget is left", () => {
    expect(decide({ previous: 0, current: 9 }, 0.5, 0, 10).allowed).toBe(true);
    expect(decide({ previous: 0, current: 10 }, 0.5, 0, 10).allowed).toBe(false);
  });
});

describe("state config", () => {
  it("accepts the short forms and rejects anything else", () => {
    expect(StateConfigSchema.parse("memory").url).toBe("memory");
    expect(StateConfigSchema.parse("redis://redis:6379/0").url).toBe("redis://redis:6379/0");
    expect(StateConfigSchema.safeParse("postgres://x").success).toBe(false);
    expect(StateConfigSchema.safeParse({ url: "memory", bogus: 1 }).success).toBe(false);
  });
});

describe("redis state shared by two replicas", () => {
  let redis: RedisServer;
  let a: GatewayState;
  let b: GatewayState;
  const registry = new Registry();
  let config: ReturnType<typeof StateConfigSchema.parse>;

  beforeAll(async () => {
    redis = await startRedis();
    config = StateConfigSchema.parse({ url: redis.url, keyPrefix: `t${Date.now()}:`, commandTimeoutMs: 2000 });
    a = await createState({ config, registry });
    b = await createState({ config, registry: new Registry() });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it("shares the watchlist, the lookup cache and the rate limit", async () => {
    expect(a.health()).toMatchObject({ backend: "redis", status: "ok" });
    await a.shared!.watchlist.recordNotFound("pypi", "huggingface-cli");
    await b.shared!.watchlist.recordNotFound("pypi", "HuggingFace_CLI");
    expect(await b.shared!.watchlist.get("pypi", "huggingface-cli")).toMatchObject({ timesSeen: 2, name: "huggingface-cli" });
    expect(await a.shared!.watchlist.get("npm", "huggingface-cli")).toBeUndefined();

    await a.shared!.lookupCache<{ exists: boolean }>("registry:pypi").set("requests", { exists: true }, 60_000);
    expect(await b.shared!.lookupCache<{ exists: boolean }>("registry:pypi").get("requests")).toEqual({ exists: true });
    expect(await b.shared!.lookupCache("registry:npm").get("requests")).toBeUndefined();

    await clearOfWindowEdge();
    const both = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).rateLimiter.consume("key:shared", 1, 12)),
    );
    expect(both.filter((d) => d.allowed)).toHaveLength(12);
    const refused = both.find((d) => !d.allowed);
    expect(refused?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused?.retryAfterSeconds).toBeLessThanOrEqual(120);
  });

  it("keeps serving on local state while Redis is down and catches up when it returns", async () => {
    await redis.kill();
    await expect.poll(() => a.health().status, { timeout: 5000 }).toBe("degraded");
    expect(a.health().detail).toMatch(/Redis unreachable/);

    await a.shared!.watchlist.recordNotFound("npm", "react-codeshift");
    expect(await a.shared!.watchlist.get("npm", "react-codeshift")).toMatchObject({ timesSeen: 1 });
    expect(await b.shared!.watchlist.get("npm", "react-codeshift")).toBeUndefined();
    const local = await b.rateLimiter.consume("key:outage", 1, 1);
    expect(local.allowed).toBe(true);
    expect((await b.rateLimiter.consume("key:outage", 1, 1)).allowed).toBe(false);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(/slopguard_state_backend_up\{backend="redis"\} 0/);
    expect(metrics).toMatch(/slopguard_state_fallbacks_total\{operation="watchlist_record"\} [1-9]/);

    await redis.restart();
    await expect.poll(() => a.health().status, { timeout: 8000 }).toBe("ok");
    // The name recorded during the outage was replayed into Redis for every replica.
    await expect.poll(() => b.shared!.watchlist.get("npm", "react-codeshift"), { timeout: 3000 }).toMatchObject({
      timesSeen: 1,
    });
  });

  it("connects later when Redis comes up after the gateway", async () => {
    await redis.kill();
    const late = await createState({ config, registry: new Registry(), connectWaitMs: 200 });
    try {
      expect(late.health().status).toBe("degraded");
      await redis.restart();
      await expect.poll(() => late.health().status, { timeout: 8000 }).toBe("ok");
      await late.shared!.watchlist.recordNotFound("npm", "late-joiner-pkg");
      // `b` reconnects on its own schedule after the restart.
      await expect.poll(() => b.shared!.watchlist.get("npm", "late-joiner-pkg"), { timeout: 8000 }).toMatchObject({ timesSeen: 1 });
    } finally {
      await late.close();
    }
  });

  it("starts degraded, without waiting long, when Redis is not there", async () => {
    const started = Date.now();
    const config = StateConfigSchema.parse({ url: "redis://127.0.0.1:1/0" });
    const lonely = await createState({ config, registry: new Registry(), connectWaitMs: 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lonely.health().status).toBe("degraded");
    expect((await lonely.rateLimiter.consume("k", 1, 1)).allowed).toBe(true);
    await lonely.close();
  });
});
