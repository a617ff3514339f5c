/**
 * Two real gateway processes (`slopguard serve`, as two pods would run it) sharing
 * a real redis-server on loopback: the watchlist, the registry lookup cache and the
 * per-key rate limit are shared, and killing Redis leaves both serving.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, upstreamModel } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { startFakeRegistry, type FakeRegistry } from "../packages/fake-registry.js";
import { spawnGateway, type GatewayProcess } from "./gateway-process.js";
import { clearOfWindowEdge, startRedis, type RedisServer } from "./redis-server.js";

const KEY = "sk-replica-test-key-1";
const RATE_KEY = "sk-replica-test-key-2";
const LIMIT = 10;
const prefix = `replicas-${Date.now()}:`;

describe("two replicas sharing Redis", () => {
  let redis: RedisServer;
  let registry: FakeRegistry;
  let upstream: ScriptedUpstream;
  let dir: string;
  let replicas: GatewayProcess[] = [];

  beforeAll(async () => {
    [redis, registry, upstream] = await Promise.all([startRedis(), startFakeRegistry(), startScriptedUpstream()]);
    dir = await mkdtemp(path.join(tmpdir(), "slopguard-replicas-"));
    const config = {
      server: { host: "127.0.0.1", port: 0, apiKeys: [KEY, RATE_KEY], logLevel: "info", shutdownGraceSeconds: 1 },
      models: [upstreamModel(upstream)],
      packages: {
        mode: "live",
        registries: { npm: { url: registry.url }, pypi: { jsonUrl: `${registry.url}pypi/` } },
        // A negative lookup cached in Redis would answer the second replica; expire it at once.
        cache: { negativeTtlMs: 1 },
        // Each replica gets its own local watchlist folder, so only Redis can carry a name across.
        watchlistPath: "${WATCHLIST_PATH}",
      },
      rag: { enabled: false },
      // Generous: on a loaded CI machine a slow command would fall back to per-replica limits
      // (by design), which is not what this file tests; a killed Redis is noticed at once anyway.
      state: { url: redis.url, keyPrefix: prefix, commandTimeoutMs: 2000, rateLimits: { requestsPerMinute: LIMIT } },
    };
    const file = path.join(dir, "slopguard.yaml");
    await writeFile(file, stringify(config));
    const start = (n: number) =>
      spawnGateway({
        command: [process.execPath, "--import", "tsx", "src/cli.ts", "serve", "--config", file],
        cwd: repoRoot,
        env: { WATCHLIST_PATH: path.join(dir, `watchlist-${n}`) },
      });
    replicas = await Promise.all([start(1), start(2)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop("SIGKILL")));
    await Promise.all([redis?.stop(), registry?.close(), upstream?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = (replica: GatewayProcess, route: string, body?: unknown, key = KEY) =>
    fetch(`${replica.url}${route}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const check = async (replica: GatewayProcess, name: string) => {
    const res = await call(replica, "/v1/packages/check", { packages: [name], ecosystem: "npm" });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { packages: Array<{ verdict: string; risks: Array<{ kind: string; detail: string }> }> }).packages[0]!;
  };

  it("puts a name one replica saw as hallucinated on the other replica's watchlist", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess];
    const name = "express-jwt-validator-plus";
    expect((await check(a, name)).verdict).toBe("not_found");
    // The slopsquatting case: someone registers the hallucinated name afterwards.
    registry.npm.set(name, { created: new Date().toISOString() });
    await expect
      .poll(async () => (await check(b, name)).risks.find((r) => r.kind === "watchlist")?.detail, { timeout: 5000, interval: 100 })
      .toMatch(/reported as not found 1× since/);
    const seen = await check(b, name);
    expect(seen.verdict).toBe("exists");
    const client = new Redis(redis.url);
    const keys = await client.keys(`${prefix}wl:npm:${name}`);
    expect(await client.hgetall(keys[0] ?? "missing")).toMatchObject({ n: "1" });
    await client.quit();
  });

  it(`admits ${LIMIT} requests per minute for one key across both replicas together`, async () => {
    await clearOfWindowEdge();
    const results = await Promise.all(
      Array.from({ length: 2 * LIMIT }, (_, i) => call(replicas[i % 2]!, "/v1/models", undefined, RATE_KEY)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(LIMIT);
    const refused = results.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limit_exceeded");
    // Both replicas refused some: the budget really is one, not one per replica.
    expect(new Set(results.map((r, i) => (r.status === 429 ? i % 2 : -1)).filter((x) => x >= 0)).size).toBe(2);
  });

  it("keeps both replicas serving when Redis dies, reports degraded state, and still refuses bad keys", async () => {
    await redis.kill();
    for (const replica of replicas) {
      const chat = await call(replica, "/v1/chat/completions", { model: "up", messages: [{ role: "user", content: "hi" }] });
      expect(chat.status, await chat.clone().text()).toBe(200);
      expect((await check(replica, "requests-toolbelt-x")).verdict).toMatch(/not_found|exists|unknown/);
      const ready = await fetch(`${replica.url}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { details: { state: { status: string; detail: string } } };
      expect(body.details.state).toMatchObject({ status: "degraded" });
      const metrics = await (await fetch(`${replica.url}/metrics`)).text();
      expect(metrics).toMatch(/slopguard_state_backend_up\{backend="redis"\} 0/);
      expect(metrics).toMatch(/slopguard_state_fallbacks_total\{operation="[a-z_]+"\} [1-9]/);
      expect((await call(replica, "/v1/models", undefined, "sk-not-a-key-000")).status).toBe(401);
    }
    await redis.restart();
    for (const replica of replicas) {
      await expect
        .poll(async () => ((await (await fetch(`${replica.url}/readyz`)).json()) as any).details.state.status, { timeout: 8000 })
        .toBe("ok");
    }
  });
});
