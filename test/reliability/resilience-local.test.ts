/**
 * Resilience with the local provider (the real testbed GGUF, and a GGUF that fails to load):
 * the deadlines bound a local generation too and free its sequence; a full queue's 429 is
 * neither retried nor sent to a fallback; a model that failed to load hands its requests to
 * its fallback. Every request goes through the request-id ledger.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/server/bootstrap.js";
import { listen } from "../../src/server/http.js";
import { createLogger } from "../../src/util/log.js";
import { repoRoot, testbedModel, upstreamModel } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { createLedger, type Ledger, type Outcome } from "./ledger.js";

let up: ScriptedUpstream;
let gateway: Gateway;
let server: Awaited<ReturnType<typeof listen>>;
let ledger: Ledger;
const logs: string[] = [];
/**
 * Forces the byte token "a": generation runs to max_tokens (see test/gateway/local.test.ts, where 900
 * tokens take ≥ 2 s): 3,800 run far past every deadline below, even on a faster machine.
 */
const FORCE_A = { "103": 100 };

beforeAll(async () => {
  up = await startScriptedUpstream();
  const broken = path.join(mkdtempSync(path.join(os.tmpdir(), "slopguard-broken-")), "broken.gguf");
  writeFileSync(broken, "not a gguf file");
  const config = parseConfig(
    {
      rag: { enabled: false },
      server: { port: 0 },
      models: [
        testbedModel({ sequences: 1, queueLimit: 0, contextSize: 4096, timeoutMs: 600, streamDeadlineMs: 1_000, fallbacks: ["backup"] }),
        { name: "broken", provider: "local", model: broken, fallbacks: ["backup"] },
        { name: "broken-solo", provider: "local", model: broken },
        upstreamModel(up, { name: "backup" }),
      ],
    },
    { baseDir: repoRoot },
  );
  const logger = createLogger({ level: "info", write: (l) => void logs.push(l) });
  // Serve while the broken model fails to load, as `slopguard serve` does; wait for the testbed below.
  gateway = await buildGateway(config, { logger, overrides: { mitigationsFor: () => [] }, ephemeral: true, waitForModels: false, onModelError: () => undefined });
  server = await listen(gateway.app, { host: "127.0.0.1", port: 0 });
  ledger = createLedger({ baseURL: `${server.url}/v1`, timeoutMs: 10_000 });
  await gateway.services.providers.get("testbed")!.init();
}, 60_000);
afterAll(async () => {
  await server?.close(0);
  await gateway?.close();
  await up?.close();
});

const listing = [{ role: "user", content: "Which Python packages would be useful to parse YAML files?" }];
const long = (stream = false) => ledger.send({ body: { model: "testbed", messages: listing, max_tokens: 3_800, logit_bias: FORCE_A, stream } });
const code = (o: Outcome) => JSON.parse(o.end === "json" ? o.body : /data: (\{"error".*)/.exec(o.body)![1]!).error.code as string;
const attempts = (o: Outcome) => o.headers?.get("x-slopguard-attempts");
const servedBy = (o: Outcome) => o.headers?.get("x-slopguard-served-by") ?? null;

describe("local provider under the deadlines", () => {
  it("JSON: a generation past timeoutMs gets 504, and its sequence is free at once", async () => {
    const o = await long();
    expect([o.status, code(o), attempts(o)]).toEqual([504, "upstream_timeout", "1"]);
    expect(o.ms).toBeLessThan(3_000);
    // queueLimit 0 and one sequence: had the generation gone on, this would be a 429.
    const quick = await ledger.send({ body: { model: "testbed", messages: listing, max_tokens: 4 } });
    expect([quick.status, servedBy(quick)]).toEqual([200, "testbed"]);
  });

  it("stream: the first part comes at once; streamDeadlineMs then ends the stream with an error event", async () => {
    const o = await long(true);
    expect([o.status, o.end, code(o)]).toEqual([200, "error_event", "upstream_timeout"]);
    expect(o.ms).toBeGreaterThanOrEqual(950);
    expect(o.ms).toBeLessThan(4_000);
  });

  it("a full queue's 429 is neither retried nor sent to the fallback", async () => {
    const before = up.chatRequests().length;
    const [a, b] = await Promise.all([long(), long()]);
    const refused = [a, b].find((o) => o.status === 429)!;
    expect(refused).toBeDefined();
    expect([code(refused), refused.headers?.get("retry-after"), attempts(refused)]).toEqual(["queue_full", "1", "1"]);
    expect(up.chatRequests().length).toBe(before);
  });
});

describe("a local model that failed to load", () => {
  it("hands its requests to its fallback (JSON and stream), and the answer names it", async () => {
    for (const stream of [false, true]) {
      const o = await ledger.send({ body: { model: "broken", messages: listing, stream } });
      expect([o.status, attempts(o), servedBy(o)]).toEqual([200, "2", "backup"]);
    }
  });

  it("without a fallback: 503 model_unavailable", async () => {
    const o = await ledger.send({ body: { model: "broken-solo", messages: listing } });
    expect([o.status, code(o)]).toEqual([503, "model_unavailable"]);
  });

  it("every request ended exactly once and was logged once", async () => {
    await ledger.verify({ logs });
  });
});
