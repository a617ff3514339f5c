/**
 * `npm run bench:apis`: the latency each inbound API of the gateway adds over calling
 * the scripted upstream (test/helpers/scripted-upstream.ts) directly in the same API,
 * side by side in one run: JSON at concurrency 1 (whole answer), and streams at
 * concurrency 1 (time to the first text delta).
 *
 * Three processes: the scripted upstream, the gateway (in front of it, `info` logs),
 * and this load generator. Targets alternate within every round, so machine noise
 * hits them alike. Each API is one entry of `APIS`: its route, a request body, what a
 * complete answer looks like, and the gateway models to compare (an upstream of the
 * same API, natively passed through, and one that is translated). Add an API there.
 *
 * Options: --quick (fewer samples), --rounds N, --requests N (per target and round),
 * --json <file>.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

/** What the scripted model answers: a few text pieces (the stream's deltas). */
const ANSWER = ["requests", ", httpx", ", aiohttp"];
const PROMPT = "Which Python packages would be useful in solving the following coding problem: fetch a URL.";

interface Target {
  /** Row label. */
  name: string;
  /** `direct` goes to the upstream; anything else to the gateway. */
  via: "direct" | "gateway";
  model: string;
}

interface ApiBench {
  api: string;
  path: string;
  body(model: string, stream: boolean): unknown;
  /** A complete answer (JSON: the text; stream: the API's last event). */
  complete(text: string, stream: boolean): boolean;
  targets: Target[];
}

const APIS: ApiBench[] = [
  {
    api: "chat",
    path: "/v1/chat/completions",
    body: (model, stream) => ({ model, stream, messages: [{ role: "user", content: PROMPT }] }),
    complete: (text, stream) => (stream ? text.includes("data: [DONE]") : text.includes(ANSWER.join(""))),
    targets: [
      { name: "direct", via: "direct", model: "upstream-model" },
      { name: "slopguard → chat upstream", via: "gateway", model: "chat-core" },
      { name: "slopguard → chat upstream, default profile", via: "gateway", model: "chat-default" },
    ],
  },
  {
    api: "responses",
    path: "/v1/responses",
    body: (model, stream) => ({ model, stream, input: [{ role: "user", content: PROMPT }], store: false }),
    complete: (text, stream) => (stream ? text.includes("event: response.completed") : text.includes(ANSWER.join(""))),
    targets: [
      { name: "direct", via: "direct", model: "upstream-model" },
      { name: "slopguard → Responses upstream (native)", via: "gateway", model: "responses-core" },
      { name: "slopguard → chat upstream (translated)", via: "gateway", model: "chat-core" },
      { name: "slopguard → Responses upstream, default profile", via: "gateway", model: "responses-default" },
    ],
  },
  {
    api: "messages",
    path: "/v1/messages",
    body: (model, stream) => ({ model, stream, max_tokens: 64, messages: [{ role: "user", content: PROMPT }] }),
    complete: (text, stream) => (stream ? text.includes("event: message_stop") : text.includes(ANSWER.join(""))),
    targets: [
      { name: "direct", via: "direct", model: "upstream-model" },
      { name: "slopguard → Messages upstream (native)", via: "gateway", model: "messages-core" },
      { name: "slopguard → chat upstream (translated)", via: "gateway", model: "chat-core" },
      { name: "slopguard → Messages upstream, default profile", via: "gateway", model: "messages-default" },
    ],
  },
  {
    api: "completions",
    path: "/v1/completions",
    body: (model, stream) => ({ model, stream, prompt: "# Path: app.py\nimport os\n", suffix: "\nprint(os.getcwd())\n", max_tokens: 16 }),
    complete: (text, stream) => (stream ? text.includes("data: [DONE]") : text.includes(ANSWER.join(""))),
    targets: [
      { name: "direct", via: "direct", model: "upstream-model" },
      { name: "slopguard → completions upstream (native)", via: "gateway", model: "completions-core" },
      { name: "slopguard → chat upstream (FIM chat turn)", via: "gateway", model: "chat-core" },
      { name: "slopguard → completions upstream, default profile", via: "gateway", model: "completions-default" },
    ],
  },
];

// ---------- roles run in child processes ----------

async function runUpstream(): Promise<void> {
  const { startScriptedUpstream } = await import("../test/helpers/scripted-upstream.js");
  const up = await startScriptedUpstream();
  up.setModel(() => ({ textChunks: ANSWER }));
  // The recorder keeps every request; a bench sends thousands.
  setInterval(() => up.requests.splice(0), 1000).unref();
  process.stdout.write(JSON.stringify({ port: up.port }) + "\n");
}

async function runGateway(upstreamPort: number): Promise<void> {
  const { parseConfig } = await import("../src/config/load.js");
  const { buildGateway } = await import("../src/server/bootstrap.js");
  const { listen } = await import("../src/server/http.js");
  const model = (name: string, provider: string, profile: string, extra: Record<string, unknown> = {}) => ({
    name, provider, profile, model: "upstream-model", baseURL: `http://127.0.0.1:${upstreamPort}/v1`, apiKey: "sk-bench", maxRetries: 0, ...extra,
  });
  // The Anthropic SDK appends /v1/messages itself.
  const anthropic = { baseURL: `http://127.0.0.1:${upstreamPort}` };
  const config = parseConfig({
    server: { port: 0, logLevel: "info" },
    models: [
      model("chat-core", "openai-compatible", "core"),
      model("chat-default", "openai-compatible", "default"),
      model("responses-core", "openai-responses", "core"),
      model("responses-default", "openai-responses", "default"),
      model("messages-core", "anthropic", "core", anthropic),
      model("messages-default", "anthropic", "default", anthropic),
      model("completions-core", "openai-compatible", "core", { completions: "completions" }),
      model("completions-default", "openai-compatible", "default", { completions: "completions" }),
    ],
    packages: { mode: "offline" },
    rag: { enabled: false },
    // Named so the config is valid; `core` runs without any mitigation (below).
    mitigation: { profiles: { core: [] } },
  });
  // `core`: the gateway without mitigations; `default`: verify, annotate (the shipped default).
  const gateway = await buildGateway(config, { ephemeral: true });
  const pipeline = gateway.services.pipeline;
  const app = (await import("../src/server/app.js")).createApp({
    ...gateway.services,
    mitigationsFor: ({ profile, model: m }) => (profile === "core" ? [] : pipeline!.forRequest({ model: m, profile })),
  });
  const server = await listen(app, { host: "127.0.0.1", port: 0 });
  process.stdout.write(JSON.stringify({ port: server.port }) + "\n");
}

// ---------- parent ----------

function startRole(role: string, extra: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, here, "--role", role, ...extra], { stdio: ["ignore", "pipe", "inherit"] });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (!buf.includes("\n")) return;
      child.stdout!.off("data", onData);
      child.stdout!.resume(); // later log lines are dropped
      resolve({ child, port: (JSON.parse(buf.split("\n")[0]!) as { port: number }).port });
    };
    child.stdout!.on("data", onData);
  });
}

interface Sample {
  total: number;
  /** First text delta (streams). */
  first: number;
}

function request(agent: http.Agent, port: number, api: ApiBench, model: string, stream: boolean): Promise<Sample> {
  const body = JSON.stringify(api.body(model, stream));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    const req = http.request({ host: "127.0.0.1", port, path: api.path, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        text += d;
        if (!first && text.includes(ANSWER[0]!)) first = performance.now() - t0;
      });
      res.on("end", () => {
        const total = performance.now() - t0;
        if (res.statusCode !== 200 || !api.complete(text, stream)) return reject(new Error(`${api.api} ${model}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
        resolve({ total, first: first || total });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Row {
  api: string;
  scenario: string;
  target: string;
  n: number;
  median: number;
  p90: number;
  p99: number;
}

async function measure(ports: { upstream: number; gateway: number }, api: ApiBench, stream: boolean, opts: { rounds: number; requests: number }): Promise<Row[]> {
  const agents = new Map(api.targets.map((t) => [t.name, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
  const samples = new Map<string, number[]>(api.targets.map((t) => [t.name, []]));
  const one = (t: Target) => request(agents.get(t.name)!, t.via === "direct" ? ports.upstream : ports.gateway, api, t.model, stream);
  for (const t of api.targets) for (let i = 0; i < 50; i++) await one(t); // warm-up: JIT, sockets, the checker's caches
  for (let r = 0; r < opts.rounds; r++) {
    for (const t of api.targets) {
      for (let i = 0; i < opts.requests; i++) {
        const s = await one(t);
        samples.get(t.name)!.push(stream ? s.first : s.total);
      }
    }
  }
  for (const a of agents.values()) a.destroy();
  const scenario = stream ? "stream, time to first token, c=1" : "JSON, c=1";
  return api.targets.map((t) => {
    const xs = samples.get(t.name)!;
    return { api: api.api, scenario, target: t.name, n: xs.length, median: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99) };
  });
}

function table(rows: Row[]): string {
  const f = (x: number) => x.toFixed(2);
  const out = ["| API | scenario | target | n | median ms | p90 ms | p99 ms | added median ms | median ratio |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"];
  for (const r of rows) {
    const direct = rows.find((d) => d.api === r.api && d.scenario === r.scenario && d.target === "direct")!;
    const isDirect = r === direct;
    out.push(`| ${r.api} | ${r.scenario} | ${r.target} | ${r.n} | ${f(r.median)} | ${f(r.p90)} | ${f(r.p99)} | ${isDirect ? "-" : f(r.median - direct.median)} | ${isDirect ? "1.00×" : `${(r.median / direct.median).toFixed(2)}×`} |`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const role = option("role");
  if (role === "upstream") return runUpstream();
  if (role === "gateway") return runGateway(Number(option("upstream")));

  const quick = flag("quick");
  const opts = { rounds: Number(option("rounds") ?? (quick ? 2 : 5)), requests: Number(option("requests") ?? (quick ? 50 : 200)) };
  const procs: ChildProcess[] = [];
  process.on("exit", () => procs.forEach((p) => p.kill("SIGKILL")));
  const upstream = await startRole("upstream");
  procs.push(upstream.child);
  const gateway = await startRole("gateway", ["--upstream", String(upstream.port)]);
  procs.push(gateway.child);
  const rows: Row[] = [];
  for (const api of APIS) {
    for (const stream of [false, true]) {
      process.stderr.write(`${api.api} ${stream ? "stream" : "JSON"}…\n`);
      rows.push(...(await measure({ upstream: upstream.port, gateway: gateway.port }, api, stream, opts)));
    }
  }
  const header = `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; ${opts.rounds} rounds × ${opts.requests} requests per target`;
  process.stdout.write(`${header}\n\n${table(rows)}\n`);
  const json = option("json");
  if (json) writeFileSync(json, JSON.stringify({ header, rows }, null, 2));
  procs.forEach((p) => p.kill("SIGKILL"));
  process.exit(0);
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
