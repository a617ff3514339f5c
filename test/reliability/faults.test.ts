/**
 * Fault injection: every upstream fault of issue 16, as a JSON request and as a stream, under
 * the `default` profile and under `strict` (verify blocking, the real offline package
 * checker), with the outcome the client must see: status, how the body ended (a whole JSON
 * body, `[DONE]`, an `error` event), the error code, the time it took, and that it was
 * counted as a provider error. Every request goes through the request-id ledger.
 *
 * The outcomes here are the "client sees" column of docs/RELIABILITY.md.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream, type UpstreamAction } from "../helpers/scripted-upstream.js";
import { makeChecker } from "../mitigation/checker.js";
import { createLedger, type Ledger, type Outcome } from "./ledger.js";

/** A raw answer: whatever bytes the fault needs, written by hand. */
type RawAnswer = (res: http.ServerResponse, stream: boolean) => void;

let up: ScriptedUpstream;
let raw: http.Server;
const rawAnswers: RawAnswer[] = [];
const rawSockets = new Set<import("node:net").Socket>();
let gw: TestGateway;
let ledger: Ledger;

const SSE = { "content-type": "text/event-stream" };
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
/** Writes `frame` every `ms` until the gateway closes the connection. */
const every = (res: http.ServerResponse, ms: number, frame: string) => {
  const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(frame)), ms);
  res.on("close", () => clearInterval(t));
};

beforeAll(async () => {
  up = await startScriptedUpstream();
  raw = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const stream = JSON.parse(body || "{}").stream === true;
      (rawAnswers.shift() ?? ((r) => r.writeHead(500).end("no answer queued")))(res, stream);
    });
  });
  raw.on("connection", (s) => {
    rawSockets.add(s);
    s.on("close", () => rawSockets.delete(s));
  });
  await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
  const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`;
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/v1`;
  await new Promise((r) => dead.close(r));
  const limits = { timeoutMs: 300, streamIdleTimeoutMs: 300, streamDeadlineMs: 1_200 };
  gw = await startGateway({
    config: {
      models: [
        upstreamModel(up, { ...limits }),
        upstreamModel({ baseURL: rawUrl }, { name: "raw", ...limits, maxResponseBytes: 64 * 1024 }),
        upstreamModel({ baseURL: deadUrl }, { name: "dead", ...limits }),
      ],
      packages: { mode: "offline" },
    },
    logLevel: "info",
    services: { packageChecker: await makeChecker() },
  });
  ledger = createLedger({ baseURL: gw.baseURL, timeoutMs: 6_000 });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await up?.close();
  for (const s of rawSockets) s.destroy();
  await new Promise((r) => raw?.close(r));
});

/** What the client sees: status, how the body ended, and the error code (undefined for an answer). */
type Seen = [status: number, end: Outcome["end"], code: string | undefined];

interface Fault {
  name: string;
  /** The defect of issue 16 the fault reproduces. */
  defect: string;
  model: "up" | "raw" | "dead";
  action?: UpstreamAction;
  answer?: RawAnswer;
  json: Seen;
  stream: Seen;
  /** Longest the client may wait (ms). */
  boundMs?: number;
}

const html = "<!doctype html><html><body><h1>Bad gateway</h1></body></html>";
const FAULTS: Fault[] = [
  { name: "upstream 401", defect: "4", model: "up", action: { kind: "error", status: 401 }, json: [502, "json", "upstream_auth"], stream: [502, "json", "upstream_auth"] },
  { name: "upstream 500", defect: "—", model: "up", action: { kind: "error", status: 500 }, json: [502, "json", "upstream_error"], stream: [502, "json", "upstream_error"] },
  {
    name: "upstream 429 with Retry-After: 7", defect: "9", model: "up",
    action: { kind: "json", status: 429, headers: { "retry-after": "7" }, body: { error: { message: "slow down" } } },
    json: [429, "json", "upstream_rate_limited"], stream: [429, "json", "upstream_rate_limited"], boundMs: 2_000,
  },
  { name: "502 with an HTML page", defect: "4", model: "raw", answer: (res) => res.writeHead(502, { "content-type": "text/html" }).end(html), json: [502, "json", "upstream_error"], stream: [502, "json", "upstream_error"] },
  { name: "200 with an HTML page", defect: "5, 6", model: "raw", answer: (res) => res.writeHead(200, { "content-type": "text/html" }).end(html), json: [502, "json", "upstream_malformed"], stream: [502, "json", "upstream_malformed"] },
  { name: "200 {}", defect: "5, 6", model: "up", action: { kind: "json", body: {} }, json: [502, "json", "upstream_malformed"], stream: [502, "json", "upstream_malformed"] },
  { name: "200 choices: null", defect: "5, 6", model: "up", action: { kind: "json", body: { object: "chat.completion", choices: null } }, json: [502, "json", "upstream_malformed"], stream: [502, "json", "upstream_malformed"] },
  {
    name: "SSE chunk without choices, data: null", defect: "5, 6", model: "raw",
    answer: (res) => res.writeHead(200, SSE).end(`data: {"id":"c1","object":"chat.completion.chunk"}\n\ndata: null\n\ndata: [DONE]\n\n`),
    json: [502, "json", "upstream_malformed"], stream: [502, "json", "upstream_malformed"],
  },
  {
    name: "stream closed without a finish reason or [DONE]", defect: "8", model: "raw",
    answer: (res, stream) => (stream ? res.writeHead(200, SSE).end(chunk({ role: "assistant", content: "cut answ" })) : res.writeHead(200, { "content-type": "application/json" }).end('{"id":"c1","choices":[{"index":0,"mess')),
    json: [502, "json", "upstream_malformed"], stream: [200, "error_event", "upstream_malformed"],
  },
  { name: "reset mid-stream", defect: "8", model: "up", action: { kind: "reset", chunks: ["partial"] }, json: [502, "json", "upstream_error"], stream: [200, "error_event", "upstream_error"] },
  { name: "stall (no headers)", defect: "9", model: "up", action: { kind: "stall" }, json: [504, "json", "upstream_timeout"], stream: [504, "json", "upstream_timeout"], boundMs: 2_000 },
  { name: "hang mid-stream", defect: "9, 10", model: "up", action: { kind: "hang", chunks: ["partial"] }, json: [504, "json", "upstream_timeout"], stream: [200, "error_event", "upstream_timeout"], boundMs: 2_000 },
  {
    name: "SSE keep-alive comments only", defect: "10", model: "raw",
    answer: (res) => {
      res.writeHead(200, SSE);
      every(res, 50, ": ping\n\n");
    },
    json: [504, "json", "upstream_timeout"], stream: [504, "json", "upstream_timeout"], boundMs: 2_000,
  },
  {
    name: "keep-alive comments after the first chunk", defect: "10", model: "raw",
    answer: (res) => {
      res.writeHead(200, SSE).write(chunk({ role: "assistant", content: "partial" }));
      every(res, 50, ": ping\n\n");
    },
    json: [504, "json", "upstream_timeout"], stream: [200, "error_event", "upstream_timeout"], boundMs: 2_000,
  },
  {
    name: "a stream that drips past streamDeadlineMs", defect: "10", model: "raw",
    answer: (res) => {
      res.writeHead(200, SSE).write(chunk({ role: "assistant", content: "drip" }));
      every(res, 100, chunk({ content: " drip" }));
    },
    json: [504, "json", "upstream_timeout"], stream: [200, "error_event", "upstream_timeout"], boundMs: 3_000,
  },
  {
    name: "an answer over maxResponseBytes", defect: "12", model: "raw",
    answer: (res, stream) =>
      stream ? res.writeHead(200, SSE).end(chunk({ role: "assistant", content: "x".repeat(100_000) })) : res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ pad: "x".repeat(100_000) })),
    json: [502, "json", "upstream_too_large"], stream: [502, "json", "upstream_too_large"],
  },
  { name: "connection refused", defect: "9", model: "dead", json: [502, "json", "upstream_unreachable"], stream: [502, "json", "upstream_unreachable"] },
];

function seen(o: Outcome): Seen {
  const error = o.end === "error_event" ? /data: (\{"error".*)/.exec(o.body)?.[1] : o.end === "json" && (o.status ?? 0) >= 400 ? o.body : undefined;
  return [o.status ?? 0, o.end, error ? JSON.parse(error).error?.code : undefined];
}

async function providerErrors(model: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("slopguard_provider_errors_total{") && l.includes(`model="${model}"`))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

describe.each(["default", "strict"])("every upstream fault under the %s profile", (profile) => {
  it.each(FAULTS.flatMap((f) => [false, true].map((stream) => [`${f.name} (${stream ? "stream" : "JSON"})`, f, stream] as const)))("%s", async (_name, fault, stream) => {
    if (fault.action) up.enqueue(fault.action);
    if (fault.answer) rawAnswers.push(fault.answer);
    const errors = await providerErrors(fault.model);
    const model = profile === "default" ? fault.model : `${fault.model}:${profile}`;
    const content = "Install the parser: `pip install pyyaml`";
    const o = await ledger.send({ body: { model, stream, messages: [{ role: "user", content }] } });
    expect(seen(o)).toEqual(stream ? fault.stream : fault.json);
    // The profile was in effect, and the client is told how many attempts were made (no retries configured here).
    expect([o.headers?.get("x-slopguard-profile"), o.headers?.get("x-slopguard-attempts")]).toEqual([profile, "1"]);
    expect(o.ms).toBeLessThan(fault.boundMs ?? 1_500);
    if (fault.name.includes("429")) expect(o.headers?.get("retry-after")).toBe("7");
    if (o.end === "error_event") expect(o.body).not.toContain("[DONE]");
    // The client-visible failure is also on the dashboard: counted as a provider error.
    expect((await providerErrors(fault.model)) - errors).toBe(1);
    expect(rawAnswers).toHaveLength(0);
  });
});

describe("the ledger over every fault", () => {
  it("each request ended exactly once, echoed its id, and was logged once", async () => {
    await ledger.verify({ logs: gw.logs });
    expect(ledger.outcomes()).toHaveLength(FAULTS.length * 2 * 2);
  });
});
