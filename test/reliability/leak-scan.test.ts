/**
 * Leak scan: secrets planted in the config (the upstream API key, an upstream header
 * value, a gateway key, a metrics token) must not appear in any log line (at
 * `logLevel: debug`), any response body or header, or /metrics, whatever the upstream
 * does, including echoing the key back in its error bodies. Every fault also goes
 * through the request-id ledger: one terminal outcome per request, in bounded time.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream, type UpstreamAction } from "../helpers/scripted-upstream.js";
import { createLedger, type Outcome } from "./ledger.js";

const KEY = "sk-planted-upstream-key-7f3a9c1e5b";
const HEADER_SECRET = "hdr-planted-token-0c8e2d4f";
const GW_KEY = "gw-planted-client-key-55aa";
const METRICS_TOKEN = "metrics-planted-token-91b7";
const SECRETS = [KEY, HEADER_SECRET, GW_KEY, METRICS_TOKEN];

let up: ScriptedUpstream;
let raw: http.Server;
let rawUrl = "";
let gw: TestGateway;
const rawAnswers: Array<{ status: number; type: string; body: string }> = [];

beforeAll(async () => {
  up = await startScriptedUpstream();
  // Bodies the scripted upstream cannot send: real HTML and plain text, not JSON-encoded.
  raw = http.createServer((req, res) => {
    req.resume();
    const a = rawAnswers.shift() ?? { status: 500, type: "text/html", body: `<html>${KEY}</html>` };
    res.writeHead(a.status, { "content-type": a.type });
    res.end(a.body);
  });
  await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
  rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`;
  gw = await startGateway({
    config: {
      server: { apiKeys: [GW_KEY], metrics: { bearerTokens: [METRICS_TOKEN] } },
      models: [
        upstreamModel(up, { apiKey: KEY, timeoutMs: 300, headers: { "x-upstream-token": HEADER_SECRET } }),
        upstreamModel({ baseURL: rawUrl }, { name: "raw", apiKey: KEY, timeoutMs: 300, headers: { "x-upstream-token": HEADER_SECRET } }),
      ],
    },
    logLevel: "debug",
  });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
  await new Promise((r) => raw?.close(r));
});

const echo = `Incorrect API key provided: ${KEY}. Authorization: Bearer ${KEY} x-upstream-token: ${HEADER_SECRET}`;
const html = (n: number) => `<!doctype html><html><body><h1>Bad gateway</h1><pre>${echo}</pre>${"<p>filler</p>".repeat(n)}</body></html>`;

const SCRIPTED: Array<[string, UpstreamAction]> = [
  ["401 echoing the key", { kind: "error", status: 401, body: { error: { message: echo, type: "invalid_request_error", code: "invalid_api_key" } } }],
  ["403 echoing the key", { kind: "error", status: 403, body: { error: { message: echo } } }],
  ["500 echoing the key", { kind: "error", status: 500, body: { error: { message: echo } } }],
  ["429 echoing the key", { kind: "json", status: 429, headers: { "retry-after": "0" }, body: { error: { message: echo } } }],
  ["502 with an HTML page (JSON-encoded)", { kind: "json", status: 502, headers: { "content-type": "text/html" }, body: html(10) }],
  ["200 with an HTML page instead of a completion", { kind: "json", body: html(10) }],
  ["200 with a 1 MB HTML page", { kind: "json", body: html(70_000) }],
  ["200 with the key inside a completion-shaped body's unknown field", { kind: "json", body: { object: "chat.completion", choices: null, note: echo } }],
  ["stall (timeout)", { kind: "stall" }],
  ["reset mid-stream", { kind: "reset", chunks: ["partial"] }],
  ["hang mid-stream", { kind: "hang", chunks: ["partial"] }],
];

const RAW = [
  ["500 text/html", { status: 500, type: "text/html", body: html(10) }],
  ["200 text/html", { status: 200, type: "text/html", body: html(10) }],
  ["401 text/plain", { status: 401, type: "text/plain", body: echo }],
  ["200 event-stream of garbage", { status: 200, type: "text/event-stream", body: `data: ${echo}\n\n` }],
] as const;

function leaks(text: string): string[] {
  return SECRETS.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

describe("leak scan (logLevel debug)", () => {
  const outcomes: Array<{ fault: string; stream: boolean; o: Outcome }> = [];
  /** What anything in the process wrote through `console` meanwhile (libraries log there, not through our logger). */
  const consoleLines: string[] = [];

  it("runs every fault, streamed and not, and each request ends exactly once within the bound", async () => {
    const ledger = createLedger({ baseURL: gw.baseURL, timeoutMs: 8_000 });
    const capture = (...args: unknown[]) => void consoleLines.push(args.map(String).join(" "));
    const spies = (["error", "warn", "info", "log", "debug"] as const).map((m) => vi.spyOn(console, m).mockImplementation(capture));
    const auth = { authorization: `Bearer ${GW_KEY}` };
    for (const stream of [false, true]) {
      for (const [fault, action] of SCRIPTED) {
        up.enqueue(action);
        const o = await ledger.send({ body: { model: "up", stream, messages: [{ role: "user", content: `fault ${fault}` }] }, headers: auth });
        if (process.env.DBG) process.stderr.write(`DBG ${fault} stream=${stream} ${o.status} ${o.end} ${Math.round(o.ms)}ms\n`);
        outcomes.push({ fault, stream, o });
      }
      for (const [fault, answer] of RAW) {
        rawAnswers.push(answer);
        const o = await ledger.send({ body: { model: "raw", stream, messages: [{ role: "user", content: `fault ${fault}` }] }, headers: auth });
        if (process.env.DBG) process.stderr.write(`DBG ${fault} stream=${stream} ${o.status} ${o.end} ${Math.round(o.ms)}ms\n`);
        outcomes.push({ fault, stream, o });
      }
    }
    for (const spy of spies) spy.mockRestore();
    await ledger.verify({ logs: gw.logs });
    expect(outcomes).toHaveLength(2 * (SCRIPTED.length + RAW.length));
    for (const { o } of outcomes) expect(o.ms).toBeLessThan(8_000);
  });

  it("finds no planted secret in any response body or header", () => {
    for (const { fault, stream, o } of outcomes) {
      const headers = [...(o.headers?.entries() ?? [])].map(([k, v]) => `${k}: ${v}`).join("\n");
      expect(leaks(`${headers}\n${o.body}`), `${fault} (stream: ${stream})`).toEqual([]);
    }
  });

  it("finds no planted secret in any log line, and no log line is unbounded", () => {
    expect(gw.logs.length).toBeGreaterThan(outcomes.length);
    // The logs did see the faults (so the scan looked at the right lines).
    expect(gw.logs.some((l) => l.includes('"level":"error"') || l.includes("upstream"))).toBe(true);
    for (const line of gw.logs) {
      expect(leaks(line), line.slice(0, 300)).toEqual([]);
      expect(line.length).toBeLessThanOrEqual(16_384 + 200);
    }
  });

  // The openai SDK logs an unparsable SSE event (raw, key included) with `console.error` unless it is
  // given a logger: the provider hands it the gateway's redacting one, so its lines land in the logs.
  it("finds no planted secret in what libraries wrote to the console, and the SDK's messages went to the redacting log", () => {
    expect(consoleLines.flatMap(leaks)).toEqual([]);
    expect(gw.logs.some((l) => l.includes('"msg":"upstream sdk"'))).toBe(true);
  });

  it("finds no planted secret in /metrics, which needs the metrics token", async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("slopguard_requests_total");
    expect(leaks(text)).toEqual([]);
  });
});
