/**
 * Client input cannot grow /metrics: unknown model names (404s) and profile suffixes
 * are counted as `model="unknown"`, so N unique names add no series. /metrics can be
 * closed with bearer tokens or moved to a listener of its own.
 */
import { Counter, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { boundLabel, UNKNOWN } from "../../src/metrics/index.js";
import { bounded, OPEN_LABEL_LIMIT } from "../../src/metrics/labels.js";
import { buildGateway } from "../../src/server/bootstrap.js";
import { listen, type RunningServer } from "../../src/server/http.js";
import { createLogger } from "../../src/util/log.js";
import { repoRoot, startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const silent = createLogger({ level: "silent" });
let up: ScriptedUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway({ config: { models: [upstreamModel(up, { name: "bounded-model" })] } });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const scrape = async () => (await fetch(`${gw.url}/metrics`)).text();
const post = (model: string) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }) }).then((r) => r.status);

describe("metric labels are bounded", () => {
  it("counts 100 unique 20 KB model names as model=\"unknown\" and /metrics does not grow", async () => {
    await post("bounded-model");
    const before = await scrape();
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push(await post(`hostile-${i}-${"x".repeat(20_000)}`));
    statuses.push(await post("bounded-model:no-such-profile-" + "y".repeat(5_000)));
    expect(new Set(statuses.slice(0, 100))).toEqual(new Set([404]));
    const after = await scrape();
    expect(after).not.toContain("hostile-");
    expect(after).not.toContain("yyyyy");
    // Same series as before plus at most the `unknown` ones (one per metric and status).
    expect(after.length - before.length).toBeLessThan(2_000);
    expect(after).toMatch(/slopguard_requests_total\{model="unknown",route="\/v1\/chat\/completions",status="404"\} 10\d/);
    expect(after).toMatch(/slopguard_requests_total\{model="bounded-model",route="\/v1\/chat\/completions",status="200"\} \d+/);
  });

  it("keeps configured models, routes and statuses, and maps everything else to unknown", () => {
    expect(boundLabel("model", "bounded-model")).toBe("bounded-model");
    expect(boundLabel("model", "")).toBe("");
    expect(boundLabel("model", "bounded-model:repair")).toBe(UNKNOWN);
    expect(boundLabel("route", "/v1/chat/completions")).toBe("/v1/chat/completions");
    expect(boundLabel("route", "/v1/../../etc")).toBe(UNKNOWN);
    expect(boundLabel("status", "404")).toBe("404");
    expect(boundLabel("status", "4040")).toBe(UNKNOWN);
    expect(boundLabel("stream", "maybe")).toBe(UNKNOWN);
    expect(boundLabel("provider", "evil")).toBe(UNKNOWN);
    expect(boundLabel("code", "upstream_error")).toBe("upstream_error");
    expect(boundLabel("code", "Upstream error: <html>")).toBe(UNKNOWN);
  });

  it("bounds object labels, positional labels() and labels without a rule", async () => {
    const registry = new Registry();
    const c = bounded(new Counter({ name: "t_total", help: "t", labelNames: ["model", "colour"] as const, registers: [registry] }));
    c.inc({ model: "nobody-configured-me", colour: "red" });
    c.labels("bounded-model", "red").inc();
    for (let i = 0; i < OPEN_LABEL_LIMIT * 2; i++) c.inc({ model: "bounded-model", colour: `c${i}-${"z".repeat(10)}` });
    const values = (await c.get()).values;
    expect(values.find((v) => v.labels.model === UNKNOWN && v.labels.colour === "red")?.value).toBe(1);
    expect(values.find((v) => v.labels.model === "bounded-model" && v.labels.colour === "red")?.value).toBe(1);
    // The open label kept its first values and folded the rest into `unknown`.
    expect(values.length).toBeLessThanOrEqual(OPEN_LABEL_LIMIT + 2);
    expect(values.find((v) => v.labels.colour === UNKNOWN)).toBeDefined();
  });
});

describe("/metrics access", () => {
  const config = (server: Record<string, unknown>) =>
    parseConfig({ rag: { enabled: false }, server: { port: 0, ...server }, models: [upstreamModel(up)] }, { baseDir: repoRoot, source: "test" });

  it("requires one of server.metrics.bearerTokens when set, and leaves /healthz open", async () => {
    const g = await buildGateway(config({ apiKeys: ["client-key"], metrics: { bearerTokens: ["scrape-1", "scrape-2"] } }), { ephemeral: true, logger: silent });
    const s = await listen(g.app, { host: "127.0.0.1", port: 0 });
    try {
      expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.url}/metrics`, { headers: { authorization: "Bearer client-key" } })).status).toBe(401);
      const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: "Bearer scrape-2" } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("slopguard_requests_total");
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    } finally {
      await s.close(0);
      await g.close();
    }
  });

  it("serves /metrics only on server.metrics.port when set", async () => {
    const g = await buildGateway(config({ metrics: { port: 0, host: "127.0.0.1" } }), { ephemeral: true, logger: silent });
    const main = await listen(g.app, { host: "127.0.0.1", port: 0 });
    let side: RunningServer | undefined;
    try {
      expect(g.metricsApp).toBeDefined();
      side = await listen(g.metricsApp!, { host: "127.0.0.1", port: 0 });
      expect((await fetch(`${main.url}/metrics`)).status).toBe(404);
      const res = await fetch(`${side.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("slopguard_requests_total");
      expect((await fetch(`${side.url}/v1/models`)).status).toBe(404);
    } finally {
      await side?.close(0);
      await main.close(0);
      await g.close();
    }
  });
});
