/**
 * A slow streaming client must slow the upstream down instead of making the gateway
 * buffer the whole answer: the gateway waits for 'drain', stops pulling from the
 * provider, and the upstream's socket fills up.
 */
import http from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;

beforeAll(async () => {
  up = await startScriptedUpstream();
  // The client pauses for 1.5 s, three times the stall limit: a paused client must not look like a
  // stalled upstream (the stall clock runs only while the gateway waits on the upstream).
  gw = await startGateway({ config: { models: [upstreamModel(up, { streamIdleTimeoutMs: 500 })] }, services: { mitigationsFor: () => [] } });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

async function waits(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^slopguard_sse_backpressure_waits_total (\S+)$/m.exec(text)?.[1] ?? 0);
}

it("a paused client holds the upstream back; resuming delivers everything", async () => {
  const piece = "x".repeat(8192);
  const count = 3000; // ~24 MB of content, more than the socket buffers on both hops
  up.enqueue({ kind: "stream", chunks: Array.from({ length: count }, () => piece) });
  const body = JSON.stringify({ model: "up", stream: true, messages: [{ role: "user", content: "hi" }] });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } }, resolve);
    req.on("error", reject);
    req.end(body);
  });
  expect(res.statusCode).toBe(200);
  res.pause();
  const waitsBefore = await waits();
  await new Promise((r) => setTimeout(r, 1500));
  const rec = up.chatRequests().at(-1)!;
  // The gateway hit a full socket and waited for 'drain' instead of writing on...
  expect(await waits()).toBeGreaterThan(waitsBefore);
  // ...so it stopped pulling, and the upstream could not finish either.
  expect(rec.finished).toBe(false);
  let bytes = 0;
  let tail = "";
  res.on("data", (d: Buffer) => {
    bytes += d.length;
    tail = (tail + d.toString("latin1")).slice(-64);
  });
  res.resume();
  await new Promise((r) => res.on("end", r));
  expect(bytes).toBeGreaterThan(count * piece.length);
  expect(tail.endsWith("data: [DONE]\n\n")).toBe(true);
  expect(rec.finished).toBe(true);
});
