/**
 * `npm run bench:load`: load and soak. A fixed request rate (open loop: requests are
 * sent on schedule whether or not earlier ones finished) for a fixed duration against
 * the real gateway (its own process, bench/load-gateway.ts) in front of a loopback
 * scripted upstream. The mix: JSON answers, streams read to `[DONE]`, and clients that
 * disconnect (before the first byte or mid-stream). The gateway samples its RSS,
 * heap, open handles and event-loop delay; a least-squares slope over the samples
 * after warm-up must stay under the bounds, every request must end exactly once, and
 * none may fail. Exit code 1 otherwise. An idle control process samples its own
 * event-loop delay alongside: the lag bound applies to the gateway's slope minus the
 * control's, so a machine that gets busier during the run is not blamed on the gateway.
 *
 *   npm run bench:load                               # 10 min at 100 req/s
 *   npm run bench:load -- --duration 60 --rate 50    # a quick run
 *   options: --duration s, --rate req/s, --sample s, --warmup s, --json file,
 *            --max-rss-slope MB/min, --max-heap-slope MB/min, --max-handle-slope /min, --max-lag-slope ms/min
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { startScriptedUpstream } from "../test/helpers/scripted-upstream.js";
import type { Sample } from "./load-gateway.js";

const args = process.argv.slice(2);
const num = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const opts = {
  durationS: num("duration", 600),
  rate: num("rate", 100),
  sampleS: num("sample", 5),
  maxRssSlope: num("max-rss-slope", 2),
  maxHeapSlope: num("max-heap-slope", 1),
  maxHandleSlope: num("max-handle-slope", 2),
  maxLagSlope: num("max-lag-slope", 1),
};
const warmupS = num("warmup", Math.min(60, opts.durationS * 0.2));
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1] : undefined;

type Kind = "json" | "stream" | "abort_early" | "abort_mid";
const MIX: Array<[Kind, number]> = [["json", 0.5], ["stream", 0.35], ["abort_early", 0.075], ["abort_mid", 0.075]];

/** Small seeded PRNG (mulberry32): the same mix and timings on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Result { kind: Kind; status: number; ms: number; ok: boolean; why?: string }

/** The gateway (or, with "control", an idle sampler) in a child process. */
async function startSampled(upstreamURL: string) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(here, "load-gateway.ts"), upstreamURL, String(opts.sampleS * 1000)], { stdio: ["ignore", "pipe", "inherit"] });
  const samples: Sample[] = [];
  const lines = readline.createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`gateway exited with ${code}`)));
    lines.on("line", (line) => {
      const msg = JSON.parse(line) as { url?: string; sample?: Sample };
      if (msg.url) resolve(msg.url);
      if (msg.sample) samples.push(msg.sample);
    });
  });
  return { child, url, samples };
}

function send(agent: http.Agent, url: string, kind: Kind, rnd: () => number): Promise<Result> {
  const t0 = performance.now();
  const stream = kind !== "json";
  const body = JSON.stringify({ model: "load", stream, messages: [{ role: "user", content: "Parse YAML in Python" }] });
  return new Promise((resolve) => {
    let settled = false;
    // A disconnect this client chose is its terminal outcome, however the response then ends.
    let leftOnPurpose = false;
    const done = (r: Omit<Result, "kind" | "ms">) => {
      if (settled) return;
      settled = true;
      resolve({ kind, ms: performance.now() - t0, ...r, ...(leftOnPurpose ? { ok: true } : {}) });
    };
    const leave = () => {
      leftOnPurpose = true;
      req.destroy();
    };
    const req = http.request(`${url}/v1/chat/completions`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
        if (kind === "abort_mid" && text.includes('"content"')) leave();
      });
      res.on("end", () => {
        const complete = !stream || text.trimEnd().endsWith("data: [DONE]");
        done({ status: res.statusCode ?? 0, ok: res.statusCode === 200 && complete, ...(complete ? {} : { why: "stream without [DONE]" }) });
      });
      res.on("error", () => done({ status: res.statusCode ?? 0, ok: kind.startsWith("abort"), why: "response error" }));
    });
    req.on("error", (err) => done({ status: 0, ok: kind.startsWith("abort"), why: err.message }));
    req.on("close", () => done({ status: 0, ok: kind.startsWith("abort"), why: "closed" }));
    req.end(body);
    if (kind === "abort_early") setTimeout(leave, 1 + rnd() * 15);
  });
}

/** Least-squares slope of y over t, per minute. */
function slopePerMin(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, [t]) => s + t, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of points) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : 0;
};

async function main() {
  const up = await startScriptedUpstream({ models: ["load-upstream"] });
  let n = 0;
  // An answer with an install command and a fenced block, so the verify mitigation checks packages.
  up.setHandler((body) =>
    body?.stream
      ? { kind: "stream", chunks: ["Use PyYAML:\n", "```bash\npip install pyyaml\n```\n", "then ", "`import yaml`", "."], delayMs: 4, firstDelayMs: 10 }
      : { kind: "json", content: `Install it: \`pip install pyyaml requests\` (${n++})`, delayMs: 15 },
  );
  const gw = await startSampled(up.baseURL);
  const control = await startSampled("control");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const rnd = prng(16);
  const pick = (): Kind => {
    let x = rnd();
    for (const [k, w] of MIX) if ((x -= w) < 0) return k;
    return "json";
  };
  console.log(`load: ${opts.rate} req/s for ${opts.durationS} s (warm-up ${warmupS} s) against ${gw.url}, ${os.cpus().length} CPUs, node ${process.version}`);
  const pending = new Set<Promise<Result>>();
  const results: Result[] = [];
  let sent = 0;
  const start = performance.now();
  const end = start + opts.durationS * 1000;
  // Open loop: on each tick, send however many requests the schedule says are due.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((Math.min(now, end) - start) / 1000) * opts.rate);
      while (sent < due) {
        sent++;
        const p = send(agent, gw.url, pick(), rnd).then((r) => {
          pending.delete(p);
          results.push(r);
          return r;
        });
        pending.add(p);
      }
      if (now >= end) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const drainStart = performance.now();
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 30_000))]);
  const lost = pending.size;
  await new Promise((r) => setTimeout(r, opts.sampleS * 1000 + 500));
  gw.child.kill("SIGTERM");
  control.child.kill("SIGTERM");
  agent.destroy();
  await up.close();
  report({ results, sent, lost, samples: gw.samples, control: control.samples, start: Date.now() - (performance.now() - start), drainMs: performance.now() - drainStart });
}

function report(r: { results: Result[]; sent: number; lost: number; samples: Sample[]; control: Sample[]; start: number; drainMs: number }) {
  const byKind = Object.fromEntries(
    MIX.map(([k]) => {
      const rs = r.results.filter((x) => x.kind === k);
      const lat = rs.filter((x) => x.ok && !k.startsWith("abort")).map((x) => x.ms);
      return [k, { n: rs.length, failed: rs.filter((x) => !x.ok).length, p50ms: pct(lat, 50), p99ms: pct(lat, 99) }];
    }),
  );
  const failures = r.results.filter((x) => !x.ok);
  const afterWarmup = (xs: Sample[]) => xs.filter((s) => s.t - r.start >= warmupS * 1000);
  const steady = afterWarmup(r.samples);
  const series = (f: (s: Sample) => number, xs = steady) => xs.map((s) => [s.t, f(s)] as [number, number]);
  const controlLagSlope = slopePerMin(series((s) => s.lagP99ms, afterWarmup(r.control)));
  const slopes = {
    rssMBPerMin: slopePerMin(series((s) => s.rssMB)),
    heapMBPerMin: slopePerMin(series((s) => s.heapMB)),
    handlesPerMin: slopePerMin(series((s) => s.handles)),
    lagP99MsPerMin: slopePerMin(series((s) => s.lagP99ms)),
    controlLagP99MsPerMin: controlLagSlope,
  };
  const lagExcess = slopes.lagP99MsPerMin - controlLagSlope;
  const checks = [
    [`every request ended exactly once (${r.sent} sent, ${r.results.length} ended, ${r.lost} still open)`, r.results.length === r.sent && r.lost === 0],
    [`no failed request (${failures.length})`, failures.length === 0],
    [`RSS slope ${slopes.rssMBPerMin.toFixed(3)} MB/min ≤ ${opts.maxRssSlope}`, slopes.rssMBPerMin <= opts.maxRssSlope],
    [`heap slope ${slopes.heapMBPerMin.toFixed(3)} MB/min ≤ ${opts.maxHeapSlope}`, slopes.heapMBPerMin <= opts.maxHeapSlope],
    [`handle slope ${slopes.handlesPerMin.toFixed(3)}/min ≤ ${opts.maxHandleSlope}`, slopes.handlesPerMin <= opts.maxHandleSlope],
    [`event-loop p99 slope ${slopes.lagP99MsPerMin.toFixed(3)} ms/min − idle control's ${controlLagSlope.toFixed(3)} = ${lagExcess.toFixed(3)} ≤ ${opts.maxLagSlope}`, lagExcess <= opts.maxLagSlope],
    [`${steady.length} samples after warm-up (need ≥ 3)`, steady.length >= 3],
  ] as const;
  const first = steady[0];
  const last = steady.at(-1);
  const summary = {
    options: { ...opts, warmupS },
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    requests: { sent: r.sent, ended: r.results.length, lost: r.lost, failed: failures.length, achievedRate: Math.round((r.results.length / opts.durationS) * 10) / 10, byKind },
    failures: failures.slice(0, 10),
    gateway: {
      first,
      last,
      rssMB: { min: Math.min(...steady.map((s) => s.rssMB)), max: Math.max(...steady.map((s) => s.rssMB)) },
      handles: { min: Math.min(...steady.map((s) => s.handles)), max: Math.max(...steady.map((s) => s.handles)) },
      lagP99ms: { p50: pct(steady.map((s) => s.lagP99ms), 50), max: Math.max(...steady.map((s) => s.lagP99ms)) },
      slopes,
    },
    control: { lagP99ms: { p50: pct(afterWarmup(r.control).map((s) => s.lagP99ms), 50), max: Math.max(...afterWarmup(r.control).map((s) => s.lagP99ms)) } },
    checks: checks.map(([what, ok]) => ({ what, ok })),
    samples: r.samples,
    controlSamples: r.control,
  };
  console.table(byKind);
  console.log(JSON.stringify({ ...summary, samples: `${r.samples.length} samples`, controlSamples: `${r.control.length} samples` }, null, 2));
  for (const [what, ok] of checks) console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 2) + "\n");
  process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
}

await main();
