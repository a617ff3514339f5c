/**
 * Upstream resilience (src/providers/resilience.ts) through the real gateway and two scripted
 * upstreams: total deadlines, retries, fallbacks and the circuit breaker, for JSON answers and
 * streams, with what the client sees (status, how the body ended, `x-slopguard-attempts`,
 * `x-slopguard-served-by`), what reached the upstreams, and the metrics. Every request goes
 * through the request-id ledger: exactly one terminal outcome each, within the bound.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream, type UpstreamAction } from "../helpers/scripted-upstream.js";
import { createLedger, type Ledger, type Outcome } from "./ledger.js";

let upA: ScriptedUpstream;
let upB: ScriptedUpstream;
let gw: TestGateway;
let ledger: Ledger;

/** A loopback port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  upA = await startScriptedUpstream();
  upB = await startScriptedUpstream();
  const dead = { baseURL: `http://127.0.0.1:${await closedPort()}/v1` };
  const retrying = { maxRetries: 2, retryBackoffMs: 20 };
  gw = await startGateway({
    config: {
      models: [
        upstreamModel(upA, { name: "solo", ...retrying, timeoutMs: 600 }),
        upstreamModel(upA, { name: "up", ...retrying, timeoutMs: 800, fallbacks: ["backup"] }),
        upstreamModel(upB, { name: "backup" }),
        upstreamModel(dead, { name: "dead", maxRetries: 1, retryBackoffMs: 10, fallbacks: ["backup"] }),
        upstreamModel(upA, { name: "hasty", attemptTimeoutMs: 250, timeoutMs: 1_500, maxRetries: 1, retryBackoffMs: 0 }),
        upstreamModel(upA, { name: "drip", timeoutMs: 400, streamIdleTimeoutMs: 400, streamDeadlineMs: 700 }),
        upstreamModel(upA, { name: "fragile", breaker: { failures: 3, cooldownMs: 400 } }),
        upstreamModel(upA, { name: "guarded", breaker: { failures: 2, cooldownMs: 60_000 }, fallbacks: ["backup"] }),
        upstreamModel(upA, { name: "resp", provider: "openai-responses", ...retrying }),
      ],
    },
    logLevel: "info",
    services: { mitigationsFor: () => [] },
  });
  ledger = createLedger({ baseURL: gw.baseURL, timeoutMs: 6_000 });
});
afterAll(async () => {
  await gw?.close();
  await upA?.close();
  await upB?.close();
});

const user = [{ role: "user", content: "hi" }];
const fail = (status: number): UpstreamAction => ({ kind: "error", status, message: `scripted ${status}` });
const send = (model: string, stream = false, extra: Record<string, unknown> = {}) => ledger.send({ body: { model, stream, messages: user, ...extra } });
const errorOf = (o: Outcome): { code?: string; message?: string } => {
  const json = o.end === "json" ? o.body : /data: (\{"error".*)/.exec(o.body)?.[1];
  return json ? (JSON.parse(json).error ?? {}) : {};
};
const attempts = (o: Outcome) => o.headers?.get("x-slopguard-attempts");
const servedBy = (o: Outcome) => o.headers?.get("x-slopguard-served-by") ?? null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("retries", () => {
  it("JSON: two 500s, then an answer → 200 after 3 attempts, served by the model itself", async () => {
    const before = upA.chatRequests().length;
    const retries = await metric("slopguard_upstream_retries_total", { model: "solo", code: "upstream_error" });
    upA.enqueue(fail(500), fail(500), { kind: "json", content: "third time" });
    const o = await send("solo");
    expect(o.status).toBe(200);
    expect(JSON.parse(o.body).choices[0].message.content).toBe("third time");
    expect([attempts(o), servedBy(o)]).toEqual(["3", "solo"]);
    expect(upA.chatRequests().length - before).toBe(3);
    expect((await metric("slopguard_upstream_retries_total", { model: "solo", code: "upstream_error" })) - retries).toBe(2);
  });

  it("stream: a 503 before the first part is retried; the stream then completes with [DONE] and says so in its headers", async () => {
    upA.enqueue(fail(503), { kind: "stream", chunks: ["a", "b"] });
    const o = await send("solo", true);
    expect([o.status, o.end, attempts(o), servedBy(o)]).toEqual([200, "done", "2", "solo"]);
  });

  it("gives up after maxRetries: 502 with the upstream's error and x-slopguard-attempts 3", async () => {
    const before = upA.chatRequests().length;
    upA.enqueue(fail(500), fail(502), fail(500));
    const o = await send("solo");
    expect([o.status, errorOf(o).code, attempts(o), servedBy(o)]).toEqual([502, "upstream_error", "3", null]);
    expect(upA.chatRequests().length - before).toBe(3);
  });

  it("never retries once a part of the stream went out: a reset mid-stream is an error event after one upstream request", async () => {
    const before = upA.chatRequests().length;
    upA.enqueue({ kind: "reset", chunks: ["partial"] });
    const o = await send("solo", true);
    expect([o.status, o.end, errorOf(o).code, attempts(o)]).toEqual([200, "error_event", "upstream_error", "1"]);
    expect(o.body).toContain("partial");
    expect(upA.chatRequests().length - before).toBe(1);
  });

  it("an upstream 429 goes straight to the client with its Retry-After: not waited out, not retried, no fallback", async () => {
    const [a, b] = [upA.chatRequests().length, upB.chatRequests().length];
    upA.enqueue({ kind: "json", status: 429, headers: { "retry-after": "30" }, body: { error: { message: "slow down" } } });
    const o = await send("up");
    expect([o.status, errorOf(o).code, o.headers?.get("retry-after"), attempts(o)]).toEqual([429, "upstream_rate_limited", "30", "1"]);
    expect(o.ms).toBeLessThan(3_000);
    expect([upA.chatRequests().length - a, upB.chatRequests().length - b]).toEqual([1, 0]);
  });

  it("a Retry-After given as an HTTP date reaches the client as seconds", async () => {
    upA.enqueue({ kind: "json", status: 429, headers: { "retry-after": new Date(Date.now() + 20_000).toUTCString() }, body: { error: { message: "later" } } });
    const o = await send("solo");
    expect(o.status).toBe(429);
    expect(Number(o.headers?.get("retry-after"))).toBeGreaterThanOrEqual(18);
    expect(Number(o.headers?.get("retry-after"))).toBeLessThanOrEqual(21);
  });

  it("another 4xx is the client's: passed on after one attempt", async () => {
    const before = upA.chatRequests().length;
    upA.enqueue(fail(400));
    const o = await send("up", true);
    expect([o.status, errorOf(o).code, attempts(o)]).toEqual([400, "upstream_bad_request", "1"]);
    expect(upA.chatRequests().length - before).toBe(1);
  });

  it("a refused connection is retried, then the fallback serves", async () => {
    const before = upB.chatRequests().length;
    const o = await send("dead");
    expect([o.status, attempts(o), servedBy(o)]).toEqual([200, "3", "backup"]);
    expect(upB.chatRequests().length - before).toBe(1);
  });

  it("the Responses upstream gets the same retries (JSON and stream, on /v1/responses)", async () => {
    for (const stream of [false, true]) {
      upA.enqueue(fail(500));
      const o = await ledger.send({ path: "/responses", body: { model: "resp", input: "hi", stream } });
      expect([o.status, o.end, attempts(o), servedBy(o)]).toEqual([200, stream ? "eof" : "json", "2", "resp"]);
      if (stream) expect(o.body).toContain("response.completed");
    }
  });
});

describe("deadlines", () => {
  it("JSON: an upstream that sends SSE headers to a JSON request and then hangs gets 504 at timeoutMs (the SDK's timeout covers only the headers)", async () => {
    upA.enqueue({ kind: "hang", chunks: ["partial"] });
    const o = await send("solo");
    expect([o.status, errorOf(o).code, attempts(o)]).toEqual([504, "upstream_timeout", "1"]);
    expect(o.ms).toBeGreaterThanOrEqual(550);
    expect(o.ms).toBeLessThan(2_500);
  });

  it("JSON: a timeout is never retried past the deadline: one attempt, 504 after timeoutMs, not a multiple of it", async () => {
    const before = upA.requests.length;
    upA.enqueue({ kind: "stall" });
    const o = await send("solo");
    expect([o.status, errorOf(o).code]).toEqual([504, "upstream_timeout"]);
    expect(o.ms).toBeGreaterThanOrEqual(550);
    expect(o.ms).toBeLessThan(1_150); // before: 2.2 × timeoutMs, the SDK retried with a second full timeout
    expect(upA.requests.length - before).toBe(1);
    await upA.waitForClientClose(before, 2_000);
  });

  it("an attempt over attemptTimeoutMs is retried while timeoutMs lasts", async () => {
    const before = upA.requests.length;
    upA.enqueue({ kind: "stall" }, { kind: "json", content: "second attempt" });
    const o = await send("hasty");
    expect([o.status, attempts(o)]).toEqual([200, "2"]);
    expect(o.ms).toBeGreaterThanOrEqual(230);
    expect(upA.requests.length - before).toBe(2);
    await upA.waitForClientClose(before, 2_000); // the timed-out attempt's connection was closed
  });

  it("stream: no first part within timeoutMs → 504 before any byte", async () => {
    upA.enqueue({ kind: "stall" });
    const o = await send("drip", true);
    expect([o.status, o.end, errorOf(o).code]).toEqual([504, "json", "upstream_timeout"]);
    expect(o.ms).toBeLessThan(2_000);
  });

  it("stream: streamDeadlineMs ends a stream that drips within the idle limit, with an error event and no [DONE]", async () => {
    const before = upA.requests.length;
    upA.enqueue({ kind: "stream", chunks: Array.from({ length: 40 }, (_, i) => `t${i} `), delayMs: 100 });
    const o = await send("drip", true);
    expect([o.status, o.end, errorOf(o).code]).toEqual([200, "error_event", "upstream_timeout"]);
    expect(errorOf(o).message).toContain("700 ms");
    expect(o.ms).toBeGreaterThanOrEqual(650);
    expect(o.ms).toBeLessThan(2_500);
    await upA.waitForClientClose(before, 2_000);
    expect(upA.requests[before]!.finished).toBe(false);
  });
});

describe("fallbacks", () => {
  it("JSON: the primary fails its attempts → the fallback serves, and the answer names it", async () => {
    const taken = await metric("slopguard_upstream_fallbacks_total", { model: "up", fallback: "backup" });
    upA.enqueue(fail(500), fail(500), fail(500));
    upB.enqueue({ kind: "json", content: "from backup" });
    const o = await send("up");
    expect([o.status, attempts(o), servedBy(o)]).toEqual([200, "4", "backup"]);
    expect(JSON.parse(o.body).choices[0].message.content).toBe("from backup");
    expect((await metric("slopguard_upstream_fallbacks_total", { model: "up", fallback: "backup" })) - taken).toBe(1);
  });

  it("stream: the same before the first part; the stream's headers name the fallback", async () => {
    upA.enqueue(fail(502), fail(502), fail(502));
    upB.enqueue({ kind: "stream", chunks: ["from", " backup"] });
    const o = await send("up", true);
    expect([o.status, o.end, attempts(o), servedBy(o)]).toEqual([200, "done", "4", "backup"]);
  });

  it("a malformed answer is not retried but goes to the fallback at once", async () => {
    upA.enqueue({ kind: "json", body: { object: "chat.completion", choices: null } });
    const o = await send("up");
    expect([o.status, attempts(o), servedBy(o)]).toEqual([200, "2", "backup"]);
  });

  it("no fallback once the stream has started: a reset after the first part is an error event, the fallback untouched", async () => {
    const before = upB.chatRequests().length;
    upA.enqueue({ kind: "reset", chunks: ["partial"] });
    const o = await send("up", true);
    expect([o.status, o.end, servedBy(o)]).toEqual([200, "error_event", "up"]);
    expect(upB.chatRequests().length).toBe(before);
  });

  it("when the fallback fails too, the client gets its error, and every attempt is counted", async () => {
    upA.enqueue(fail(500), fail(500), fail(500));
    upB.enqueue(fail(503));
    const o = await send("up");
    expect([o.status, errorOf(o).code, attempts(o)]).toEqual([502, "upstream_error", "4"]);
  });
});

describe("circuit breaker", () => {
  it("opens after N consecutive failures: the next request fails fast with 503 circuit_open and Retry-After, without reaching the upstream", async () => {
    const opens = await metric("slopguard_circuit_breaker_opens_total", { model: "fragile" });
    upA.enqueue(fail(500), fail(500), fail(500));
    for (let i = 0; i < 3; i++) expect((await send("fragile")).status).toBe(502);
    const before = upA.chatRequests().length;
    const o = await send("fragile");
    expect([o.status, errorOf(o).code, o.headers?.get("retry-after"), attempts(o)]).toEqual([503, "circuit_open", "1", "0"]);
    expect(upA.chatRequests().length).toBe(before);
    expect(await metric("slopguard_circuit_breaker_state", { model: "fragile" })).toBe(2);
    expect((await metric("slopguard_circuit_breaker_opens_total", { model: "fragile" })) - opens).toBe(1);
  });

  it("after the cooldown one probe reaches the upstream; its failure opens the circuit for another cooldown", async () => {
    await sleep(450);
    upA.enqueue(fail(500));
    expect((await send("fragile", true)).status).toBe(502);
    const o = await send("fragile", true);
    expect([o.status, errorOf(o).code]).toEqual([503, "circuit_open"]);
  });

  it("a successful probe closes it", async () => {
    await sleep(450);
    const o = await send("fragile");
    expect([o.status, attempts(o)]).toEqual([200, "1"]);
    expect(await metric("slopguard_circuit_breaker_state", { model: "fragile" })).toBe(0);
  });

  it("429s and 400s do not count toward opening it", async () => {
    upA.enqueue({ kind: "json", status: 429, body: { error: { message: "x" } } }, fail(400), { kind: "json", status: 429, body: { error: { message: "x" } } }, fail(400));
    for (let i = 0; i < 4; i++) expect((await send("fragile")).status).toBeLessThan(500);
    expect((await send("fragile")).status).toBe(200);
  });

  it("with a fallback, an open circuit is skipped at once: the fallback serves and the failing upstream is not called", async () => {
    upA.enqueue(fail(500), fail(500));
    for (let i = 0; i < 2; i++) expect(servedBy(await send("guarded"))).toBe("backup");
    const before = upA.chatRequests().length;
    for (const stream of [false, true]) {
      const o = await send("guarded", stream);
      expect([o.status, attempts(o), servedBy(o)]).toEqual([200, "1", "backup"]);
    }
    expect(upA.chatRequests().length).toBe(before);
    expect(await metric("slopguard_provider_errors_total", { model: "guarded", code: "circuit_open" })).toBeGreaterThanOrEqual(2);
  });
});

describe("ledger", () => {
  it("every request above ended exactly once, echoed its id, and was logged once", async () => {
    await ledger.verify({ logs: gw.logs });
    expect(ledger.outcomes().length).toBeGreaterThan(30);
    for (const o of ledger.outcomes()) expect(o.end).not.toBe("timeout");
  });
});
