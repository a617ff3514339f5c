/**
 * Capacity of one gateway replica, for docs/SCALING.md: a real `slopguard serve`
 * process in front of a loopback mock upstream, driven by keep-alive clients.
 * Side by side in one run: the mock alone, a replica on in-process state, and a
 * replica on Redis state with per-key rate limits on (3 Redis calls a request).
 * Every answer carries a code block with three packages, so verify checks them.
 * Besides latency and throughput (both at the mercy of other load on a shared
 * machine) it reports the gateway's CPU time per request from /proc, which is
 * what a capacity estimate needs: req/s per core = 1000 / CPU ms per request.
 *
 *   npx tsx bench/deploy.ts [--rounds 5] [--sequential 200] [--seconds 3] [--concurrency 32]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { repoRoot, upstreamModel } from "../test/helpers/gateway.js";
import { startScriptedUpstream } from "../test/helpers/scripted-upstream.js";
import { spawnGateway, type GatewayProcess } from "../test/deploy/gateway-process.js";
import { startRedis } from "../test/deploy/redis-server.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg("seconds", 3);
const CONCURRENCY = arg("concurrency", 32);
const SEQUENTIAL = arg("sequential", 200);
const ROUNDS = arg("rounds", 5);
const KEY = "sk-bench-key-0001";
const ANSWER = "Use these:\n```python\nimport requests\nimport numpy as np\nfrom flask import Flask\n```\n```bash\npip install requests numpy flask\n```";
const BODY = JSON.stringify({ model: "up", messages: [{ role: "user", content: "Fetch a URL and plot it" }] });

interface Figures {
  name: string;
  medianMs: number;
  p99Ms: number;
  rps: number;
  /** CPU time the gateway process (and Redis, when used) spent per request under load. */
  cpuMsPerRequest: number;
  redisCpuMsPerRequest: number;
  errors: number;
}

/** utime + stime of a process, in ms (Linux /proc; clock ticks are 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function once(url: string): Promise<boolean> {
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: BODY });
  await res.arrayBuffer();
  return res.status === 200;
}

async function measure(name: string, url: string, pids: { gateway?: number; redis?: number } = {}): Promise<Figures> {
  for (let i = 0; i < 30; i++) await once(url); // warm-up: JIT, connections, caches
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = performance.now();
    if (!(await once(url))) errors++;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  let done = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (await once(url)) done++;
      else errors++;
    }
  };
  const t0 = performance.now();
  const cpu0 = [cpuMs(pids.gateway), cpuMs(pids.redis)];
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu1 = [cpuMs(pids.gateway), cpuMs(pids.redis)];
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return {
    name,
    medianMs: q(0.5),
    p99Ms: q(0.99),
    rps: done / elapsed,
    cpuMsPerRequest: (cpu1[0]! - cpu0[0]!) / Math.max(1, done),
    redisCpuMsPerRequest: (cpu1[1]! - cpu0[1]!) / Math.max(1, done),
    errors,
  };
}

type Target = { name: string; url: string; pids: { gateway?: number; redis?: number } };

async function main(): Promise<void> {
  const upstream = await startScriptedUpstream();
  upstream.setHandler(() => ({ kind: "json", content: ANSWER }));
  const redis = await startRedis();
  const dir = await mkdtemp(path.join(tmpdir(), "slopguard-bench-deploy-"));
  const gateways: GatewayProcess[] = [];
  try {
    const base = {
      server: { host: "127.0.0.1", port: 0, apiKeys: [KEY], logLevel: "info" },
      models: [upstreamModel(upstream, { maxRetries: 0 })],
      packages: { mode: "offline", watchlistPath: path.join(dir, "watchlist") },
      rag: { enabled: false },
    };
    const variants: Record<string, Record<string, unknown>> = {
      "replica, state: memory": { ...base, state: "memory" },
      "replica, state: redis + rate limits": {
        ...base,
        state: { url: redis.url, rateLimits: { requestsPerMinute: 10_000_000, tokensPerMinute: 1_000_000_000 } },
      },
    };
    const targets: Target[] = [{ name: "mock upstream alone", url: `${upstream.baseURL}/chat/completions`, pids: {} }];
    for (const [name, config] of Object.entries(variants)) {
      const file = path.join(dir, `${name.replace(/\W+/g, "-")}.yaml`);
      await writeFile(file, stringify(config));
      const command = [process.execPath, "--import", "tsx", "src/cli.ts", "serve", "--config", file];
      const gateway = await spawnGateway({ command, cwd: repoRoot, keepOutput: false });
      gateways.push(gateway);
      const usesRedis = typeof config.state === "object";
      targets.push({ name, url: `${gateway.url}/v1/chat/completions`, pids: { gateway: gateway.child.pid, ...(usesRedis ? { redis: redis.pid() } : {}) } });
    }
    print(await measureRounds(targets));
  } finally {
    // Whatever happens, leave no redis-server or gateway behind.
    await Promise.all(gateways.map((g) => g.stop("SIGKILL")));
    await Promise.all([upstream.close(), redis.stop()]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Interleaved rounds, order rotating, so load from elsewhere on a shared machine hits every setup alike. */
async function measureRounds(targets: Target[]): Promise<Figures[]> {
  const rounds = new Map<string, Figures[]>(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(round + i) % targets.length]!;
      rounds.get(t.name)!.push(await measure(t.name, t.url, t.pids));
    }
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return targets.map((t) => {
    const f = rounds.get(t.name)!;
    return {
      name: t.name,
      medianMs: med(f.map((x) => x.medianMs)),
      p99Ms: med(f.map((x) => x.p99Ms)),
      rps: med(f.map((x) => x.rps)),
      cpuMsPerRequest: med(f.map((x) => x.cpuMsPerRequest)),
      redisCpuMsPerRequest: med(f.map((x) => x.redisCpuMsPerRequest)),
      errors: f.reduce((n, x) => n + x.errors, 0),
    };
  });
}

function print(results: Figures[]): void {
  const mock = results[0]!;
  console.log(`\n${ROUNDS} interleaved rounds, each: ${SEQUENTIAL} sequential requests, then ${CONCURRENCY} keep-alive clients for ${SECONDS} s; medians over rounds\n`);
  console.log(`| setup | median ms (c=1) | p99 ms (c=1) | overhead vs mock (median) | req/s at c=${CONCURRENCY} | gateway CPU ms/request | Redis CPU ms/request | req/s per gateway CPU core | errors |`);
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of results) {
    const gw = r !== mock;
    const overhead = gw ? `${(r.medianMs - mock.medianMs).toFixed(2)} ms` : "-";
    const cpu = gw ? r.cpuMsPerRequest.toFixed(2) : "-";
    const redisCpu = gw && r.redisCpuMsPerRequest > 0 ? r.redisCpuMsPerRequest.toFixed(3) : "-";
    const perCore = gw && r.cpuMsPerRequest > 0 ? (1000 / r.cpuMsPerRequest).toFixed(0) : "-";
    console.log(`| ${r.name} | ${r.medianMs.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${overhead} | ${r.rps.toFixed(0)} | ${cpu} | ${redisCpu} | ${perCore} | ${r.errors} |`);
  }
}

await main();
