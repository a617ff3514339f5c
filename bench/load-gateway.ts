/**
 * Child process of `bench/load.ts`: the real gateway (default profile: verify and
 * annotate, offline package checks) in front of the loopback upstream whose URL it
 * is given, sampling itself every `everyMs`: RSS and heap after a forced GC (so the
 * figures show what is retained, not garbage not yet collected), active handles by
 * type, event-loop delay percentiles since the last sample, and requests in flight.
 * Prints `{"url": …}` once, then one `{"sample": …}` line per interval.
 *
 * With `control` instead of an upstream URL it runs no gateway and only samples: an
 * idle Node process on the same machine, whose event-loop delay is what the machine's
 * own load does to any process (on a shared 2-core box that is most of it).
 *
 *   node --expose-gc --import tsx bench/load-gateway.ts <upstream /v1 URL | control> <everyMs>
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseConfig } from "../src/config/load.js";
import { buildGateway } from "../src/server/bootstrap.js";
import { listen } from "../src/server/http.js";
import { createLogger } from "../src/util/log.js";

export interface Sample {
  t: number;
  rssMB: number;
  heapMB: number;
  handles: number;
  byType: Record<string, number>;
  lagP50ms: number;
  lagP99ms: number;
  lagMaxMs: number;
  inFlight: number;
}

const [upstream, every] = process.argv.slice(2);
if (!upstream) throw new Error("usage: load-gateway.ts <upstream /v1 URL | control> <everyMs>");
const everyMs = Number(every ?? 5_000);

async function startGateway(upstream: string) {
  const config = parseConfig({
    server: { port: 0, logLevel: "warn" },
    models: [{ name: "load", provider: "openai-compatible", model: "load-upstream", baseURL: upstream, apiKey: "sk-load", maxRetries: 0, timeoutMs: 10_000 }],
    packages: { mode: "offline" },
    rag: { enabled: false },
  });
  // Warnings and errors only: an info line per request would measure the pipe to the parent, not the gateway.
  const logger = createLogger({ level: "warn", write: (l) => process.stderr.write(l) });
  const gateway = await buildGateway(config, { ephemeral: true, logger });
  const server = await listen(gateway.app, { host: "127.0.0.1", port: 0 });
  return { url: server.url, inFlight: () => server.inFlight(), close: () => server.close(2_000).then(() => gateway.close()) };
}

const gw = upstream === "control" ? undefined : await startGateway(upstream);
process.stdout.write(JSON.stringify({ url: gw?.url ?? "control" }) + "\n");

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
const ms = (ns: number) => Math.round(ns / 1e4) / 100;

// The parent going away closes this pipe; there is no one left to report to.
process.stdout.on("error", () => process.exit(0));
const sampler = setInterval(() => {
  gc?.();
  const mem = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  const byType: Record<string, number> = {};
  for (const r of resources) byType[r] = (byType[r] ?? 0) + 1;
  const sample: Sample = {
    t: Date.now(),
    rssMB: mb(mem.rss),
    heapMB: mb(mem.heapUsed),
    handles: resources.length,
    byType,
    lagP50ms: ms(lag.percentile(50)),
    lagP99ms: ms(lag.percentile(99)),
    lagMaxMs: ms(lag.max),
    inFlight: gw?.inFlight() ?? 0,
  };
  lag.reset();
  process.stdout.write(JSON.stringify({ sample }) + "\n");
}, everyMs);

process.once("SIGTERM", () => {
  clearInterval(sampler);
  void (gw?.close() ?? Promise.resolve()).then(() => process.exit(0));
});
