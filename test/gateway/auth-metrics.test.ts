import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;
const body = (r: Response): Promise<any> => r.json();

beforeAll(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway({ config: { server: { apiKeys: ["gw-key-1", "gw-key-2"] }, models: [upstreamModel(up, { name: "metered" })] } });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const ask = (client: OpenAI) => client.chat.completions.create({ model: "metered", messages: [{ role: "user", content: "hi" }] });

describe("auth", () => {
  it("rejects a missing or wrong key with OpenAI's 401 shape", async () => {
    const none = await fetch(`${gw.baseURL}/models`);
    expect(none.status).toBe(401);
    expect((await body(none)).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    await expect(ask(new OpenAI({ baseURL: gw.baseURL, apiKey: "gw-key-3", maxRetries: 0 }))).rejects.toMatchObject({ status: 401 });
    await expect(ask(new OpenAI({ baseURL: gw.baseURL, apiKey: "gw-key-1x", maxRetries: 0 }))).rejects.toMatchObject({ status: 401 });
  });

  it("accepts every configured key", async () => {
    for (const key of ["gw-key-1", "gw-key-2"]) {
      const r = await ask(new OpenAI({ baseURL: gw.baseURL, apiKey: key, maxRetries: 0 }));
      expect(r.choices[0]!.message.content).toBe("Hello from upstream");
    }
  });

  it("never forwards the client's key to the upstream", async () => {
    await ask(new OpenAI({ baseURL: gw.baseURL, apiKey: "gw-key-1", maxRetries: 0 }));
    expect(up.requests.at(-1)!.headers.authorization).toBe("Bearer sk-upstream-secret-key-123456");
  });

  it("leaves health, readiness and metrics open", async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    expect(await body(health)).toEqual({ status: "ok" });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await body(ready)).models).toEqual({ metered: true });
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(200);
  });
});

describe("models", () => {
  it("lists and gets models by public name", async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "gw-key-1", maxRetries: 0 });
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["metered"]);
    expect((await client.models.retrieve("metered")).id).toBe("metered");
    await expect(client.models.retrieve("other")).rejects.toMatchObject({ status: 404 });
  });
});

async function scrape(): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

function value(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("/metrics", () => {
  it("counts requests by model/route/status, tokens, durations and overhead", async () => {
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "gw-key-1", maxRetries: 0 });
    const before = await scrape();
    up.enqueue({ kind: "json", content: "one two three" }, { kind: "error", status: 500 });
    await ask(client);
    await expect(ask(client)).rejects.toMatchObject({ status: 502 });
    const s = await client.chat.completions.create({ model: "metered", messages: [{ role: "user", content: "hi" }], stream: true });
    for await (const _ of s);
    await new Promise((r) => setTimeout(r, 20));
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    const route = "/v1/chat/completions";
    expect(delta("slopguard_requests_total", { model: "metered", route, status: "200" })).toBe(2);
    expect(delta("slopguard_requests_total", { model: "metered", route, status: "502" })).toBe(1);
    // json: 3 completion tokens; stream: 3 chunks in the default answer
    expect(delta("slopguard_output_tokens_total", { model: "metered" })).toBe(6);
    expect(delta("slopguard_input_tokens_total", { model: "metered" })).toBe(18);
    expect(delta("slopguard_request_duration_seconds_count", { model: "metered", stream: "false" })).toBe(2);
    expect(delta("slopguard_time_to_first_token_seconds_count", { model: "metered" })).toBe(1);
    expect(delta("slopguard_gateway_overhead_seconds_count", { model: "metered" })).toBe(3);
    expect(delta("slopguard_upstream_latency_seconds_count", { model: "metered", provider: "openai-compatible" })).toBe(3);
    expect(after).toContain("slopguard_requests_in_flight");
    expect(after).toContain("slopguard_process_cpu_user_seconds_total");
  });
});
