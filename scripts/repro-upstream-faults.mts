/**
 * Before/after figures of docs/RELIABILITY.md for defects 9 and 10 (timeouts, retries, 429,
 * a JSON body that hangs, a stream that drips): one gateway in process (no mitigations) in
 * front of the scripted upstream, `timeoutMs: 300`, the default `maxRetries: 1`.
 *
 *   npx tsx scripts/repro-upstream-faults.mts .                     # this checkout
 *   git archive <commit> src config data package.json | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/
 *   npx tsx scripts/repro-upstream-faults.mts /tmp/old --before     # an older source tree (no resilience keys)
 */
import path from "node:path";
import { startScriptedUpstream, type UpstreamAction } from "../test/helpers/scripted-upstream.js";

const root = path.resolve(process.argv[2] ?? ".");
const before = process.argv.includes("--before");
const { parseConfig } = await import(path.join(root, "src/config/load.ts"));
const { buildGateway } = await import(path.join(root, "src/server/bootstrap.ts"));
const { listen } = await import(path.join(root, "src/server/http.ts"));

const up = await startScriptedUpstream();
// The breaker is off so that each scenario meets the upstream (five failures in a row would open it).
const resilience = before ? {} : { streamDeadlineMs: 1_000, breaker: { failures: 0 } };
const model = { name: "up", provider: "openai-compatible", model: "m", baseURL: up.baseURL, apiKey: "sk-x", timeoutMs: 300, ...resilience };
const config = parseConfig({ rag: { enabled: false }, server: { port: 0, logLevel: "silent" }, models: [model], packages: { mode: "offline" } }, { baseDir: root });
const gw = await buildGateway(config, { ephemeral: true, overrides: { mitigationsFor: () => [] } });
const server = await listen(gw.app, { host: "127.0.0.1", port: 0 });

async function run(name: string, action: UpstreamAction, stream: boolean): Promise<void> {
  up.setHandler(() => action);
  const n = up.requests.length;
  const t0 = performance.now();
  let outcome: string;
  try {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "up", stream, messages: [{ role: "user", content: "x" }] }),
      signal: AbortSignal.timeout(8_000),
    });
    const text = await res.text();
    const end = text.includes("[DONE]") ? "[DONE]" : (/"code":"(\w+)"/.exec(text)?.[1] ?? "eof");
    outcome = `${res.status} ${end}`;
  } catch {
    outcome = "no answer within 8 s";
  }
  const ms = Math.round(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 300)); // let a late retry reach the upstream before counting
  console.log(`| ${name} | ${stream ? "stream" : "JSON"} | ${outcome} | ${ms} ms | ${up.requests.length - n} |`);
}

await run("warm-up", { kind: "json", content: "warm" }, false);
console.log("| scenario | request | status, end | time | upstream requests |\n| --- | --- | --- | --- | --- |");
await run("stall", { kind: "stall" }, false);
await run("stall", { kind: "stall" }, true);
await run("429 with Retry-After: 3", { kind: "json", status: 429, headers: { "retry-after": "3" }, body: { error: { message: "slow" } } }, false);
await run("500", { kind: "error", status: 500 }, false);
await run("SSE to a JSON request, then silence", { kind: "hang", chunks: ["partial"] }, false);
await run("a chunk every 100 ms for 3 s", { kind: "stream", chunks: Array.from({ length: 30 }, (_, i) => `t${i} `), delayMs: 100 }, true);
await server.close(0);
await gw.close();
await up.close();
process.exit(0);
