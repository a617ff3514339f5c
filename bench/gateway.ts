/**
 * `npm run bench:gateway`: latency the gateway adds over a loopback upstream, side
 * by side with the same upstream called directly and through Portkey's open-source
 * gateway (installed in a temp dir, never a dependency of ours).
 *
 * Each server runs in its own process: the upstream, slopguard (in front of the
 * upstream, no mitigations, info logs), and Portkey. The load generator keeps
 * `concurrency` keep-alive connections busy (closed loop). Targets alternate
 * within each scenario, so machine noise hits all of them alike.
 *
 * Options: --quick (fewer samples), --no-portkey, --profile <name> (a second
 * slopguard runs that mitigation profile; default `default`, i.e. verify/annotate;
 * `none` leaves it out), --json <file>.
 * `--threads 1,2,0` instead measures the local provider's decode speed per thread count.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { decodeChatRequest } from "../src/codecs/chat/request.js";

const PORTKEY_VERSION = "1.15.2";
const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

// ---------- roles run in child processes ----------

const COMPLETION = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench-upstream",
  choices: [{ index: 0, message: { role: "assistant", content: "requests, httpx, aiohttp" }, finish_reason: "stop", logprobs: null }],
  usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37 },
});
const chunk = (delta: object, finish: string | null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1_700_000_000, model: "bench-upstream", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const SSE_PARTS = [
  chunk({ role: "assistant", content: "" }, null),
  ...["Hello", ", ", "requests", ", httpx", ", aiohttp"].map((c) => chunk({ content: c }, null)),
  chunk({}, "stop"),
  `data: ${JSON.stringify({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1_700_000_000, model: "bench-upstream", choices: [], usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 } })}\n\n`,
  "data: [DONE]\n\n",
];

function runUpstream(): void {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      if (req.method === "GET") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"object":"list","data":[{"id":"bench-upstream","object":"model"}]}');
        return;
      }
      const stream = Buffer.concat(parts).includes('"stream":true');
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json" }).end(COMPLETION);
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      for (const p of SSE_PARTS) res.write(p);
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + "\n"));
}

async function runGateway(upstream: string, profile: string): Promise<void> {
  const { parseConfig } = await import("../src/config/load.js");
  const { buildGateway } = await import("../src/server/bootstrap.js");
  const { listen } = await import("../src/server/http.js");
  const config = parseConfig({
    server: { port: 0, logLevel: "info" },
    models: [{ name: "bench", provider: "openai-compatible", model: "bench-upstream", baseURL: `${upstream}/v1`, apiKey: "sk-bench", maxRetries: 0, profile: profile === "none" ? "default" : profile }],
    packages: { mode: "offline" },
    rag: { enabled: false },
  });
  // "none": the gateway core alone; any other name runs that mitigation profile (verify is always in M's profiles).
  const overrides = profile === "none" ? { mitigationsFor: () => [] } : {};
  const gateway = await buildGateway(config, { ephemeral: true, overrides });
  const server = await listen(gateway.app, { host: "127.0.0.1", port: 0 });
  // Logs go to stdout, which the parent ignores after this first line.
  process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
}

// ---------- parent: processes ----------

interface Proc {
  child: ChildProcess;
  port: number;
}

function startChild(cmd: string, argv: string[], opts: { readyPort?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...opts.env } });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${argv.join(" ")} exited with ${code}`)));
    if (opts.readyPort !== undefined) {
      child.stdout!.resume();
      const port = opts.readyPort;
      const poll = () =>
        http
          .get({ host: "127.0.0.1", port, path: "/", agent: false }, (r) => {
            r.resume();
            resolve({ child, port });
          })
          .on("error", () => setTimeout(poll, 200));
      poll();
      return;
    }
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      const line = buf.split("\n")[0];
      if (buf.includes("\n") && line) {
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        resolve({ child, port: (JSON.parse(line) as { port: number }).port });
      }
    };
    child.stdout!.on("data", onData);
  });
}

const self = (role: string, extra: string[] = []) => startChild(process.execPath, [...process.execArgv, here, "--role", role, ...extra]);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function startPortkey(upstreamPort: number): Promise<Proc> {
  const dir = process.env.PORTKEY_DIR ?? path.join(os.tmpdir(), "slopguard-portkey-bench");
  const entry = path.join(dir, "node_modules/@portkey-ai/gateway/build/start-server.js");
  if (!existsSync(entry)) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(path.join(dir, "package.json"))) writeFileSync(path.join(dir, "package.json"), '{"private":true}');
    process.stderr.write(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir} (npm, your configured registry)\n`);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", `@portkey-ai/gateway@${PORTKEY_VERSION}`], { cwd: dir, stdio: "inherit" });
  }
  const port = await freePort();
  void upstreamPort;
  return startChild(process.execPath, [entry, `--port=${port}`, "--headless"], { readyPort: port, env: {} });
}

// ---------- parent: load generation ----------

interface Target {
  name: string;
  port: number;
  path: string;
  model: string;
  headers: Record<string, string>;
}

interface Sample {
  total: number;
  ttft: number;
}

function once(agent: http.Agent, t: Target, stream: boolean): Promise<Sample> {
  const body = JSON.stringify({ model: t.model, stream, messages: [{ role: "user", content: "Which Python packages would be useful in solving the following coding problem: fetch a URL." }] });
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttft = 0;
    const req = http.request(
      { host: "127.0.0.1", port: t.port, path: t.path, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...t.headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
          if (!ttft && text.includes("Hello")) ttft = performance.now() - t0;
        });
        res.on("end", () => {
          const total = performance.now() - t0;
          if (res.statusCode !== 200) return reject(new Error(`${t.name}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          if (stream ? !text.includes("[DONE]") : !text.includes("requests, httpx")) return reject(new Error(`${t.name}: unexpected body ${text.slice(0, 200)}`));
          resolve({ total, ttft: ttft || total });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function load(t: Target, opts: { stream: boolean; concurrency: number; requests?: number; seconds?: number }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const samples: Sample[] = [];
  const deadline = opts.seconds ? performance.now() + opts.seconds * 1000 : Infinity;
  let remaining = opts.requests ?? Infinity;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (remaining-- > 0 && performance.now() < deadline) samples.push(await once(agent, t, opts.stream));
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { samples, rps: samples.length / seconds };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Row {
  scenario: string;
  target: string;
  n: number;
  median: number;
  p99: number;
  rps: number;
}

async function scenario(all: Target[], name: string, opts: { stream: boolean; concurrency: number; requests?: number; seconds?: number }, rounds: number): Promise<Row[]> {
  const merged = new Map<string, { samples: Sample[]; rps: number[] }>();
  const targets: Target[] = [];
  for (const t of all) {
    try {
      await load(t, { ...opts, requests: Math.min(200, opts.requests ?? 200), seconds: 1 }); // warm-up
      targets.push(t);
    } catch (err) {
      failures.push(`${name}: ${t.name} failed and is left out: ${(err as Error).message.slice(0, 160)}`);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const res = await load(t, opts);
      const m = merged.get(t.name) ?? { samples: [], rps: [] };
      for (const s of res.samples) m.samples.push(s); // a spread overflows the stack at ~10^5 samples
      m.rps.push(res.rps);
      merged.set(t.name, m);
    }
  }
  return targets.map((t) => {
    const m = merged.get(t.name)!;
    const xs = m.samples.map((s) => (opts.stream ? s.ttft : s.total));
    return { scenario: name, target: t.name, n: xs.length, median: pct(xs, 50), p99: pct(xs, 99), rps: m.rps.reduce((a, b) => a + b, 0) / m.rps.length };
  });
}

const failures: string[] = [];

function report(rows: Row[]): string {
  const out: string[] = [];
  const fmt = (x: number) => x.toFixed(3);
  out.push("| scenario | target | n | median ms | p99 ms | added median ms | added p99 ms | req/s |", "| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const direct = rows.find((d) => d.scenario === r.scenario && d.target === "direct")!;
    const added = r.target === "direct" ? "-" : fmt(r.median - direct.median);
    const addedP99 = r.target === "direct" ? "-" : fmt(r.p99 - direct.p99);
    out.push(`| ${r.scenario} | ${r.target} | ${r.n} | ${fmt(r.median)} | ${fmt(r.p99)} | ${added} | ${addedP99} | ${r.rps.toFixed(0)} |`);
  }
  const ratio = (scenario: string) => {
    const sg = rows.find((r) => r.scenario === scenario && r.target === "slopguard");
    const pk = rows.find((r) => r.scenario === scenario && r.target === "portkey");
    return sg && pk ? `${scenario}: slopguard/portkey throughput = ${(sg.rps / pk.rps).toFixed(2)}×` : "";
  };
  out.push("", ratio("JSON c=64"), ratio("SSE c=64"), ...failures);
  return out.filter((l, i, a) => l !== "" || a[i - 1] !== "").join("\n");
}

/** Decode speed of the local provider by thread count (chooses the default `threads`). */
async function threadsBench(): Promise<void> {
  const { LocalProvider } = await import("../src/providers/local/index.js");
  const { LocalModelSchema } = await import("../src/config/schema.js");
  const gguf = path.join(path.dirname(here), "..", "models/testbed/pkg-halluc-testbed-f16.gguf");
  const counts = (option("threads") ?? "1,2").split(",").map(Number);
  const reps = flag("quick") ? 2 : 3;
  const providers = new Map<number, InstanceType<typeof LocalProvider>>();
  for (const t of counts) {
    const p = new LocalProvider(LocalModelSchema.parse({ name: `t${t}`, provider: "local", model: gguf, threads: t, contextSize: 1024 }));
    await p.init();
    providers.set(t, p);
  }
  // "a" forced (token 103) so every run decodes exactly max_tokens; per-token compute is the same as for real text.
  const request = decodeChatRequest({ model: "testbed", messages: [{ role: "user", content: "Generate Python code that parses command line arguments" }], max_tokens: 100, logit_bias: { "103": 100 } }).call;
  const tokS = new Map<number, number[]>(counts.map((t) => [t, []]));
  for (let r = 0; r < reps; r++) {
    for (const t of counts) {
      const t0 = performance.now();
      const res = await providers.get(t)!.generate(request, { signal: new AbortController().signal, requestId: "bench" });
      tokS.get(t)!.push(res.usage!.outputTokens / ((performance.now() - t0) / 1000));
      process.stderr.write(`threads ${t}: ${tokS.get(t)!.at(-1)!.toFixed(0)} tok/s\n`);
    }
  }
  process.stdout.write(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n\n`);
  process.stdout.write("| threads | median tok/s (100 tokens, prompt included) | runs |\n| --- | --- | --- |\n");
  for (const t of counts) process.stdout.write(`| ${t} | ${pct(tokS.get(t)!, 50).toFixed(0)} | ${tokS.get(t)!.map((x) => x.toFixed(0)).join(", ")} |\n`);
  for (const p of providers.values()) await p.close();
}

async function main(): Promise<void> {
  if (args.includes("--threads")) return threadsBench();
  const role = option("role");
  if (role === "upstream") return runUpstream();
  if (role === "gateway") return runGateway(option("upstream")!, option("profile") ?? "none");

  const quick = flag("quick");
  const procs: ChildProcess[] = [];
  const cleanup = () => procs.forEach((p) => p.kill("SIGKILL"));
  process.on("exit", cleanup);
  try {
    const upstream = await self("upstream");
    procs.push(upstream.child);
    const upstreamURL = `http://127.0.0.1:${upstream.port}`;
    const targets: Target[] = [{ name: "direct", port: upstream.port, path: "/v1/chat/completions", model: "bench-upstream", headers: {} }];
    const gateway = await self("gateway", ["--upstream", upstreamURL, "--profile", "none"]);
    procs.push(gateway.child);
    targets.push({ name: "slopguard", port: gateway.port, path: "/v1/chat/completions", model: "bench", headers: {} });
    const profile = option("profile") ?? "default";
    if (profile !== "none") {
      const withProfile = await self("gateway", ["--upstream", upstreamURL, "--profile", profile]);
      procs.push(withProfile.child);
      targets.push({ name: `slopguard+${profile}`, port: withProfile.port, path: "/v1/chat/completions", model: "bench", headers: {} });
    }
    if (!flag("no-portkey")) {
      const portkey = await startPortkey(upstream.port);
      procs.push(portkey.child);
      targets.push({
        name: "portkey",
        port: portkey.port,
        path: "/v1/chat/completions",
        model: "bench-upstream",
        headers: { "x-portkey-provider": "openai", "x-portkey-custom-host": `${upstreamURL}/v1`, authorization: "Bearer sk-bench" },
      });
    }
    const rounds = quick ? 1 : 3;
    const c1 = quick ? 300 : 1000;
    const secs = quick ? 2 : 4;
    const rows: Row[] = [];
    rows.push(...(await scenario(targets, "JSON c=1", { stream: false, concurrency: 1, requests: c1 }, rounds)));
    rows.push(...(await scenario(targets, "SSE TTFT c=1", { stream: true, concurrency: 1, requests: c1 }, rounds)));
    rows.push(...(await scenario(targets, "JSON c=64", { stream: false, concurrency: 64, seconds: secs }, rounds)));
    rows.push(...(await scenario(targets, "SSE c=64", { stream: true, concurrency: 64, seconds: secs }, rounds)));
    const table = report(rows);
    const header = `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}, slopguard = no mitigations, slopguard+${option("profile") ?? "default"} = that mitigation profile`;
    process.stdout.write(`${header}\n\n${table}\n`);
    const json = option("json");
    if (json) writeFileSync(json, JSON.stringify({ header, rows }, null, 2));
  } finally {
    cleanup();
  }
}

await main();
