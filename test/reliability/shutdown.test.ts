/**
 * Graceful shutdown under active streams, against `slopguard serve` as a real child
 * process: SIGTERM stops accepting at once, lets in-flight requests and SSE streams
 * finish within `server.shutdownGraceSeconds`, exits as soon as they are done (not at
 * the end of the grace period), and cancels what is still running at the deadline
 * with a 503 or an SSE error event, never a cut stream that looks complete.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../src/server/http.js";
import { spawnGateway, type GatewayProcess } from "../deploy/gateway-process.js";
import { repoRoot, upstreamModel } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let dir = "";

beforeAll(async () => {
  up = await startScriptedUpstream();
  dir = await mkdtemp(path.join(tmpdir(), "slopguard-shutdown-"));
});
afterAll(async () => {
  await up?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serve(graceSeconds: number): Promise<GatewayProcess> {
  const file = path.join(dir, `grace-${graceSeconds}.json`);
  const config = {
    server: { host: "127.0.0.1", port: 0, logLevel: "info", shutdownGraceSeconds: graceSeconds },
    models: [upstreamModel(up, { timeoutMs: 30_000 })],
    packages: { mode: "offline", watchlistPath: path.join(dir, `watchlist-${graceSeconds}`) },
    rag: { enabled: false },
  };
  await writeFile(file, JSON.stringify(config));
  return spawnGateway({ command: [process.execPath, "--import", "tsx", "src/cli.ts", "serve", "--config", file], cwd: repoRoot });
}

interface Streamed {
  status: number;
  text: string;
  /** Resolves when the response ends (or fails) with the time it did. */
  ended: Promise<{ at: number; how: "end" | "error" }>;
}

/** A streaming request read as raw bytes, so the test sees exactly what the gateway wrote. */
function stream(url: string, body: object): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      const out: Streamed = { status: res.statusCode ?? 0, text: "", ended: undefined as never };
      out.ended = new Promise((done) => {
        res.setEncoding("utf8");
        res.on("data", (d: string) => (out.text += d));
        res.on("end", () => done({ at: Date.now(), how: "end" }));
        res.on("error", () => done({ at: Date.now(), how: "error" }));
      });
      resolve(out);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};
const chunks = (n: number) => Array.from({ length: n }, (_, i) => `c${i} `);
const ask = (model = "up", stream = true) => ({ model, stream, messages: [{ role: "user", content: "count" }] });

describe("SIGTERM with requests in flight", () => {
  it("lets a stream shorter than the grace period finish, refuses new connections, and exits right after", async () => {
    const gw = await serve(20);
    up.enqueue({ kind: "stream", chunks: chunks(15), delayMs: 100 });
    const s = await stream(gw.url, ask());
    await until(() => s.text.includes("c1 "));
    const exited = gw.stop("SIGTERM");
    const signalledAt = Date.now();
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
    const end = await s.ended;
    const code = await exited;
    const exitAt = Date.now();
    expect(s.status).toBe(200);
    expect(end.how).toBe("end");
    expect((s.text.match(/c\d+ /g) ?? []).length).toBe(15);
    expect(s.text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(code).toBe(0);
    // Exit follows the stream's end, not the 20 s grace period.
    expect(exitAt - end.at).toBeLessThan(3_000);
    expect(exitAt - signalledAt).toBeLessThan(10_000);
    expect(gw.output.some((l) => l.includes('"msg":"stopped"') && l.includes('"cancelled":0'))).toBe(true);
  });

  it("at the deadline ends a longer stream with an error event (no [DONE]), answers a waiting JSON request 503, and exits", async () => {
    const gw = await serve(1);
    const before = up.requests.length;
    up.enqueue({ kind: "stream", chunks: chunks(100), delayMs: 100 }, { kind: "json", content: "late", delayMs: 20_000 });
    const s = await stream(gw.url, ask());
    await until(() => s.text.includes("c1 "));
    const json = fetch(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ask("up", false)) });
    await until(() => up.requests.length >= before + 2);
    const exited = gw.stop("SIGTERM");
    const signalledAt = Date.now();
    const end = await s.ended;
    const res = await json;
    const code = await exited;
    expect(end.at - signalledAt).toBeGreaterThanOrEqual(900);
    expect(end.at - signalledAt).toBeLessThan(5_000);
    expect(s.text).not.toContain("[DONE]");
    const last = s.text.trim().split("\n\n").at(-1)!;
    expect(JSON.parse(last.replace(/^data: /, "")).error).toMatchObject({ code: "server_shutting_down" });
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe("server_shutting_down");
    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(6_000);
    // The upstream calls were cut too, not left running.
    await up.waitForClientClose(before);
    await up.waitForClientClose(before + 1);
    expect(gw.output.some((l) => l.includes("grace period over"))).toBe(true);
  });
});

describe("listen().close() with keep-alive connections", () => {
  it("closes idle connections at once, and busy ones right after their response, which says Connection: close", async () => {
    const app = express();
    app.get("/slow", (_req, res) => void setTimeout(() => res.send("slow"), 300));
    app.get("/fast", (_req, res) => void res.send("fast"));
    const server = await listen(app, { host: "127.0.0.1", port: 0 });
    const open = async (path: string) => {
      const socket = net.connect(server.port, "127.0.0.1");
      const conn = { raw: "", closedAt: 0, closed: undefined as unknown as Promise<void> };
      socket.on("data", (d) => (conn.raw += d.toString()));
      conn.closed = new Promise<void>((r) => socket.on("close", () => r(void (conn.closedAt = Date.now()))));
      await new Promise<void>((r) => socket.once("connect", () => r()));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      return conn;
    };
    const idle = await open("/fast");
    const busy = await open("/slow");
    await new Promise((r) => setTimeout(r, 100));
    expect(idle.raw).toContain("fast");
    const t0 = Date.now();
    await server.close(10_000);
    await Promise.all([idle.closed, busy.closed]);
    expect(idle.closedAt - t0).toBeLessThan(150);
    expect(busy.raw).toContain("slow");
    expect(busy.raw.toLowerCase()).toContain("connection: close");
    // Closed when its answer was done (~200 ms later), not at the 10 s grace deadline.
    expect(busy.closedAt - t0).toBeLessThan(2_000);
  });
});
