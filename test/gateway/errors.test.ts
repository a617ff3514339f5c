import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const KEY = "sk-upstream-secret-key-123456";
let up: ScriptedUpstream;
let gw: TestGateway;
const body = (r: Response): Promise<any> => r.json();
let client: OpenAI;

beforeAll(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway({
    config: { server: { bodyLimitBytes: 2048 }, models: [upstreamModel(up, { apiKey: KEY, timeoutMs: 400 })] },
    logLevel: "debug",
    // Gateway-core behaviour without mitigations in between; the pipeline has its own test.
    services: { mitigationsFor: () => [] },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const post = (body: string | object, headers: Record<string, string> = {}) =>
  fetch(`${gw.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const user = [{ role: "user", content: "hi" }];

async function providerErrors(code: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("slopguard_provider_errors_total{") && l.includes(`code="${code}"`) && l.includes('model="up"'));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

function expectOpenAIError(json: any, code?: string) {
  expect(Object.keys(json.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof json.error.message).toBe("string");
  if (code) expect(json.error.code).toBe(code);
}

describe("client errors", () => {
  it("malformed JSON → 400", async () => {
    const res = await post('{"model": "up", "messages": [');
    expect(res.status).toBe(400);
    expectOpenAIError(await body(res), "invalid_json");
  });

  it("body over the limit → 413", async () => {
    const res = await post({ model: "up", messages: [{ role: "user", content: "x".repeat(4000) }] });
    expect(res.status).toBe(413);
    expectOpenAIError(await body(res), "request_too_large");
  });

  it("schema violation → 400 naming the field", async () => {
    const bad = await post({ model: "up", messages: [{ role: "wizard", content: "hi" }] });
    expect(bad.status).toBe(400);
    const j1 = await body(bad);
    expectOpenAIError(j1);
    expect(j1.error.param).toBe("messages[0].role");
    const temp = await post({ model: "up", messages: user, temperature: 5 });
    const j2 = await body(temp);
    expect(temp.status).toBe(400);
    expect(j2.error.param).toBe("temperature");
    expect(j2.error.message).toContain("temperature");
    const missing = await post({ messages: user });
    expect((await body(missing)).error.param).toBe("model");
  });

  it("unknown model → 404 model_not_found, also via the openai client", async () => {
    const res = await post({ model: "nope", messages: user });
    expect(res.status).toBe(404);
    expectOpenAIError(await body(res), "model_not_found");
    await expect(client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
  });

  it("unknown route → OpenAI-style 404", async () => {
    const res = await fetch(`${gw.baseURL}/embeddings`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expectOpenAIError(await body(res), "unknown_url");
  });

  it("bad ecosystem header → 400", async () => {
    const res = await post({ model: "up", messages: user }, { "x-slopguard-ecosystem": "cargo" });
    expect(res.status).toBe(400);
    expect((await body(res)).error.param).toBe("x-slopguard-ecosystem");
  });
});

describe("upstream failures", () => {
  it("upstream 5xx → 502 with the upstream's message, key redacted", async () => {
    up.enqueue({ kind: "error", status: 500, message: `db exploded while using key ${KEY}` });
    const res = await post({ model: "up", messages: user });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(KEY);
    const json = JSON.parse(text);
    expectOpenAIError(json, "upstream_error");
    expect(json.error.message).toContain("db exploded");
    expect(json.error.message).toContain("[redacted]");
    expect(gw.logs.join("\n")).not.toContain(KEY);
  });

  it("stalled upstream → 504 after timeoutMs", async () => {
    const errorsBefore = await providerErrors("upstream_timeout");
    up.enqueue({ kind: "stall" });
    const t0 = Date.now();
    const res = await post({ model: "up", messages: user });
    expect(res.status).toBe(504);
    expectOpenAIError(await body(res), "upstream_timeout");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect((await providerErrors("upstream_timeout")) - errorsBefore).toBe(1);
  });

  it("streaming request to a failing upstream gets the status, not a 200 stream", async () => {
    up.enqueue({ kind: "error", status: 503, message: "overloaded" });
    await expect(client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "x" }], stream: true })).rejects.toMatchObject({
      status: 502,
    });
  });

  it("reset mid-stream → the client's stream fails instead of ending cleanly", async () => {
    up.enqueue({ kind: "reset", chunks: ["partial", " answer"], delayMs: 30 });
    const stream = await client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "x" }], stream: true });
    let text = "";
    await expect(
      (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
      })(),
    ).rejects.toThrow();
    expect(text).toBe("partial answer");
  });

  it("an upstream that goes silent mid-stream is cut off after timeoutMs of silence", async () => {
    const errorsBefore = await providerErrors("upstream_timeout");
    up.enqueue({ kind: "hang", chunks: ["partial", " answer"], delayMs: 10 });
    const before = up.requests.length;
    const t0 = Date.now();
    const stream = await client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "x" }], stream: true });
    let text = "";
    const failure = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })().then(
      () => undefined,
      (err: unknown) => err as { message?: string; code?: string },
    );
    expect(text).toBe("partial answer");
    expect(failure?.message).toContain("nothing for 400 ms");
    // Cut off after the silence (400 ms), not held until the test's own timeout.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(Date.now() - t0).toBeLessThan(3_000);
    await up.waitForClientClose(before, 2_000);
    expect(up.requests[before]!.finished).toBe(false);
    // The client already had a 200, so only the metric tells operators it happened.
    expect((await providerErrors("upstream_timeout")) - errorsBefore).toBe(1);
  });

  it("a slow but steady stream is not cut off: the limit is per silence, not per answer", async () => {
    const chunks = ["a", "b", "c", "d", "e"];
    up.enqueue({ kind: "stream", chunks, delayMs: 200 });
    const stream = await client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "x" }], stream: true });
    const t0 = Date.now();
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("abcde");
    expect(Date.now() - t0).toBeGreaterThan(400);
  });

  it("upstream 401 is the gateway's credential problem (502), and upstream 429 keeps its Retry-After", async () => {
    up.enqueue({ kind: "error", status: 401, message: "bad key" });
    const denied = await post({ model: "up", messages: user });
    expect(denied.status).toBe(502);
    expectOpenAIError(await body(denied), "upstream_auth");
    up.enqueue({ kind: "json", status: 429, headers: { "retry-after": "7" }, body: { error: { message: "slow down", type: "rate_limit", param: null, code: null } } });
    const limited = await post({ model: "up", messages: user });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect((await body(limited)).error.message).toContain("slow down");
  });

  it("upstream 4xx passes through with its message", async () => {
    up.enqueue({ kind: "error", status: 400, message: "max_tokens is too large" });
    const res = await post({ model: "up", messages: user });
    expect(res.status).toBe(400);
    expect((await body(res)).error.message).toContain("max_tokens is too large");
  });
});

describe("client disconnect", () => {
  it("aborting a non-streaming request closes the upstream connection", async () => {
    up.enqueue({ kind: "stall" });
    const before = up.requests.length;
    const ac = new AbortController();
    const pending = client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "x" }] }, { signal: ac.signal });
    await up.waitForRequests(up.chatRequests().length + 1);
    ac.abort();
    await expect(pending).rejects.toThrow();
    await up.waitForClientClose(before, 2_000);
    expect(up.requests[before]!.finished).toBe(false);
  });

  it("aborting a stream mid-way closes the upstream stream", async () => {
    up.enqueue({ kind: "stream", chunks: Array.from({ length: 200 }, (_, i) => `tok${i} `), delayMs: 20 });
    const before = up.requests.length;
    const ac = new AbortController();
    const stream = await client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "x" }], stream: true }, { signal: ac.signal });
    let n = 0;
    // The openai client ends the iteration quietly on abort; either way the socket to the gateway closes.
    await (async () => {
      for await (const _c of stream) if (++n === 3) ac.abort();
    })().catch(() => undefined);
    expect(n).toBeLessThan(10);
    const closedAt = await up.waitForClientClose(before, 2_000);
    expect(up.requests[before]!.finished).toBe(false);
    expect(closedAt - up.requests[before]!.receivedAt).toBeLessThan(2_000);
  });
});

describe("request ids and logs", () => {
  it("returns x-request-id, reuses a sane client one, and logs one JSON line per request", async () => {
    const res = await post({ model: "up", messages: user }, { "x-request-id": "my-trace-1" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("my-trace-1");
    await res.text();
    await new Promise((r) => setTimeout(r, 20));
    const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request" && l.requestId === "my-trace-1");
    expect(line).toMatchObject({ level: "info", status: 200, model: "up", path: "/v1/chat/completions" });
    expect(typeof line.durationMs).toBe("number");
  });
});
