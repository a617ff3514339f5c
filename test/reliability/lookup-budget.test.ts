/**
 * The per-API-key budget of live registry lookups (issue 16, defect 12: "one request can
 * trigger 1,000 registry lookups; cap the lookups per request and per key"). The real gateway
 * with two keys, the real package checker in live mode against a loopback registry, and
 * `packages.maxLookupsPerKey: 3`: a key's lookups stop at 3 per minute across its requests
 * and routes, the other key keeps its own budget, and names past the budget are `unknown`
 * via `limit`: reported by annotate, withheld by strict (fail closed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { startFakeRegistry, type FakeRegistry } from "../packages/fake-registry.js";

const K1 = "key-one-budget-test";
const K2 = "key-two-budget-test";
let reg: FakeRegistry;
let up: ScriptedUpstream;
let gw: TestGateway;

beforeAll(async () => {
  reg = await startFakeRegistry();
  up = await startScriptedUpstream();
  gw = await startGateway({
    config: {
      server: { apiKeys: [K1, K2] },
      models: [upstreamModel(up)],
      packages: { mode: "live", registries: { npm: { url: reg.url }, pypi: { jsonUrl: `${reg.url}pypi/` } }, maxLookupsPerKey: 3, timeoutMs: 5_000 },
    },
  });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await up?.close();
  await reg?.close();
});

/** Names no snapshot holds: each one settled only by a live lookup. */
const names = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `budget-${tag}-${i}-zz`);

async function check(key: string, packages: string[]): Promise<{ packages: Array<{ name: string; via: string; verdict: string }>; incomplete: boolean }> {
  const res = await fetch(`${gw.baseURL}/packages/check`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ packages, ecosystem: "npm" }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

const limited = (r: { packages: Array<{ via: string }> }) => r.packages.filter((p) => p.via === "limit").length;

describe("registry lookups per API key", () => {
  it("a key starts at most maxLookupsPerKey lookups; the rest are unknown via limit and the report incomplete", async () => {
    const before = reg.requests.length;
    const r = await check(K1, names("a", 5));
    expect(reg.requests.length - before).toBe(3);
    expect(limited(r)).toBe(2);
    expect(r.packages.filter((p) => p.via === "registry").map((p) => p.verdict)).toEqual(["not_found", "not_found", "not_found"]);
    expect(r.incomplete).toBe(true);
  });

  it("the budget spans the key's requests: the next one starts none", async () => {
    const before = reg.requests.length;
    const r = await check(K1, names("b", 2));
    expect(reg.requests.length).toBe(before);
    expect(limited(r)).toBe(2);
  });

  it("another key has its own budget", async () => {
    const before = reg.requests.length;
    const r = await check(K2, names("c", 4));
    expect(reg.requests.length - before).toBe(3);
    expect(limited(r)).toBe(1);
  });

  it("names already looked up cost nothing (cache), even past the budget", async () => {
    const r = await check(K1, names("a", 3));
    expect(limited(r)).toBe(0);
  });

  const answer = "Install it with:\n\n```bash\nnpm install budget-chat-0-zz\n```\n";
  const chat = (model: string, stream: boolean) =>
    fetch(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${K1}` },
      body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "how do I install it?" }] }),
    });

  /** Spends what is left of K1's budget this minute (so each test below also holds when run alone). */
  const spend = () => check(K1, names(`spend-${Date.now()}`, 3));

  it("a chat answer checked past the key's budget: annotate reports the name unsettled, nothing looked up", async () => {
    await spend();
    const before = reg.requests.length;
    up.enqueue({ kind: "json", content: answer });
    const res = await chat("up", false);
    const json = (await res.json()) as { choices: Array<{ message: { content: string } }>; slopguard: { packages: Array<{ name: string; verdict: string }>; totals: { unknown: number } } };
    expect(json.choices[0]!.message.content).toBe(answer);
    expect(json.slopguard.packages).toMatchObject([{ name: "budget-chat-0-zz", verdict: "unknown" }]);
    expect(reg.requests.length).toBe(before);
  });

  it("strict withholds it as unchecked (fail closed), JSON and stream", async () => {
    await spend();
    const before = reg.requests.length;
    for (const stream of [false, true]) {
      up.enqueue(stream ? { kind: "stream", chunks: answer.split(/(?<=\n)/) } : { kind: "json", content: answer });
      const text = await (await chat("up:strict", stream)).text();
      expect(text).not.toContain("npm install budget-chat-0-zz");
      expect(text).toContain("unchecked");
    }
    expect(reg.requests.length).toBe(before);
  });

  it("self-refine's checks (repair) and the gateway's MCP tool take the same budget", async () => {
    await spend();
    const before = reg.requests.length;
    up.setHandler(() => ({ kind: "json", content: answer }));
    try {
      const res = await chat("up:repair", false);
      expect(res.status).toBe(200);
      const json = (await res.json()) as { slopguard: { packages: Array<{ name: string; verdict: string }> } };
      expect(json.slopguard.packages).toMatchObject([{ name: "budget-chat-0-zz", verdict: "unknown" }]);
    } finally {
      up.setHandler(undefined);
    }
    const mcp = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${K1}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "check_packages", arguments: { packages: names("mcp", 2), ecosystem: "npm" } } }),
    });
    const rpc = (await mcp.json()) as { result: { structuredContent: { packages: Array<{ verdict: string }> } } };
    expect(rpc.result.structuredContent.packages.map((p) => p.verdict)).toEqual(["unknown", "unknown"]);
    expect(reg.requests.length).toBe(before);
  });
});
