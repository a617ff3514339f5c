/**
 * npm run bench:mitigation [-- --parts overhead,ttft,testbed --n 200 --profiles default,rag,self-refine,ensemble]
 *
 * 1. overhead: latency each mitigation adds beyond upstream time, against a scripted
 *    upstream with a fixed delay (gateway without mitigations as the baseline).
 * 2. ttft: time to first token under each stream policy (annotate, strict, hold-all) versus pass-through.
 * 3. testbed: hallucination rate on the testbed GGUF for paper prompts under each
 *    profile, at the model (first answer) and at the gateway (what the client gets).
 * Side by side in one process; results also written to bench/results/mitigation.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import OpenAI from "openai";
import { startGateway, testbedModel, upstreamModel, repoRoot } from "../test/helpers/gateway.js";
import { startScriptedUpstream } from "../test/helpers/scripted-upstream.js";
import { createMitigationPipeline } from "../src/mitigation/index.js";
import { MitigationConfigSchema } from "../src/mitigation/config.js";
import { createPackageChecker } from "../src/packages/index.js";
import { createRetriever, RagConfigSchema } from "../src/rag/index.js";
import type { Retriever } from "../src/rag/types.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const parts = (args.get("parts") ?? "overhead,ttft,testbed").split(",");
const RESULTS = new URL("./results/mitigation.json", import.meta.url);
// Parts run separately (the testbed part takes minutes per profile) accumulate in one file.
const results: Record<string, any> = { machine: "2 cores (shared by 8 agents), no GPU" };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const ms = (x: number) => Math.round(x * 100) / 100;
const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });

/** R's retriever on the default index when it is built and loads; otherwise none. */
async function realRetriever(): Promise<Retriever | undefined> {
  try {
    const r = createRetriever(RagConfigSchema.parse({ autoBuild: false }));
    await r.retrieve({ query: "http client", k: 1 });
    return r;
  } catch (err) {
    console.error(`RAG index not available (${(err as Error).message}); rag/ensemble rows use a fixed 5-statement retriever`);
    return undefined;
  }
}

function fixedRetriever(): Retriever {
  const s = (p: string, what: string) => ({ statement: `Package ${p} could answer questions about ${what}.`, package: p, ecosystem: "pypi" as const, score: 1 });
  const list = [s("requests", "HTTP for Humans"), s("httpx", "a next generation HTTP client"), s("click", "composable command line interfaces"), s("numpy", "array computing"), s("pandas", "data analysis")];
  return { ready: () => true, close: async () => undefined, retrieve: async () => list };
}

const CODE = (pkgs: string[]) => `Sure.\n\n\`\`\`bash\npip install ${pkgs.join(" ")}\n\`\`\`\n\n\`\`\`python\n${pkgs.map((p) => `import ${p.replace(/-/g, "_")}`).join("\n")}\nprint("ok")\n\`\`\`\n`;
const roundOf = (body: any) => {
  const last = body?.messages?.at(-1)?.content ?? "";
  const m = /fakepkg-r(\d+)-zzqx does not exist/.exec(last);
  return m ? Number(m[1]) + 1 : 0;
};

const fixed = fixedRetriever();
async function overhead(retriever: Retriever) {
  const D = 25;
  const N = Number(args.get("overhead-n") ?? 40);
  const up = await startScriptedUpstream();
  let fixRound = 0;
  up.setHandler((body) => {
    const r = roundOf(body);
    return { kind: "json", delayMs: D, content: r >= fixRound ? CODE(["requests", "numpy"]) : CODE(["requests", `fakepkg-r${r}-zzqx`]) };
  });
  const pipeline = createMitigationPipeline({ checker, retriever, config: MitigationConfigSchema.parse({}) });
  const none = await startGateway({ config: { models: [upstreamModel(up)] }, services: { mitigationsFor: () => [], packageChecker: checker, retriever: undefined } });
  const gw = await startGateway({ config: { models: [upstreamModel(up)] }, services: { pipeline, packageChecker: checker, retriever } });
  // Scenarios take turns request by request, so drift on this shared machine hits them all alike.
  const scenarios = [
    { scenario: "pass-through (no mitigations)", g: none, model: "up", k: 0 },
    { scenario: "verify (annotate)", g: gw, model: "up", k: 0 },
    { scenario: "rag + verify", g: gw, model: "up:rag", k: 0 },
    ...[1, 2, 3].map((k) => ({ scenario: `self-refine, ${k} round(s) + verify`, g: gw, model: "up:self-refine", k })),
  ];
  const times = scenarios.map(() => [] as number[]);
  // In-process time per module from the slopguard records: far less noisy than end-to-end differences.
  const modTimes = scenarios.map(() => new Map<string, number[]>());
  for (let i = 0; i < N + 5; i++) {
    for (const [j, sc] of scenarios.entries()) {
      fixRound = sc.k;
      const client = new OpenAI({ baseURL: sc.g.baseURL, apiKey: "x", maxRetries: 0 });
      const t0 = performance.now();
      const r: any = await client.chat.completions.create({ model: sc.model, messages: [{ role: "user", content: "Generate Python code that fetches a web page" }] });
      if (i < 5) continue;
      times[j]!.push(performance.now() - t0);
      for (const rec of r.slopguard?.mitigations ?? []) {
        const list = modTimes[j]!.get(rec.module) ?? [];
        list.push(rec.durationMs);
        modTimes[j]!.set(rec.module, list);
      }
    }
  }
  const med = times.map(median);
  const rows = scenarios.map((sc, j) => ({
    scenario: sc.scenario,
    upstreamCalls: sc.k + 1,
    median: ms(med[j]!),
    p90: ms(p90(times[j]!)),
    addedMs: ms(med[j]! - med[0]!),
    moduleMs: [...modTimes[j]!].map(([mod, xs]) => `${mod} ${ms(median(xs))}`).join(", "),
    ...(sc.k ? { perRoundMs: ms((med[j]! - med[1]!) / sc.k), perRoundBeyondUpstreamMs: ms((med[j]! - med[1]!) / sc.k - D) } : {}),
  }));
  await none.close();
  await gw.close();
  await up.close();
  console.table(rows);
  results.overhead = { date: new Date().toISOString(), retriever: retriever === fixed ? "fixed 5-statement list" : "R's LanceDB index", upstreamDelayMs: D, requestsPerRow: N, rows };
}

/**
 * Time to first token under each stream policy, against pass-through, on two code answers: one that
 * opens with a line of prose (the usual chat-model shape) and one that opens with its install block
 * (the testbed's shape: there the first bytes are the command, which a fail-closed guard must hold).
 * The upstream models a real one: `first` ms before the first token (prompt processing), then one
 * ~4-character token every `every` ms.
 */
async function ttft() {
  const N = Number(args.get("ttft-n") ?? 15);
  const first = Number(args.get("ttft-first-ms") ?? 150);
  const every = Number(args.get("ttft-every-ms") ?? 15);
  const prose = "To fetch a page you send an HTTP GET request and read the body of the response; the library below handles redirects for you.";
  const answers = [
    { shape: "prose first", text: `${prose}\n\n${CODE(["requests"])}\nThat is all.` },
    { shape: "install block first", text: `${CODE(["requests"]).replace(/^Sure\.\n\n/, "")}\nThat is all.` },
  ];
  const up = await startScriptedUpstream();
  let current = answers[0]!.text;
  up.setHandler(() => {
    const chunks: string[] = [];
    for (let i = 0; i < current.length; i += 4) chunks.push(current.slice(i, i + 4));
    return { kind: "stream", chunks, delayMs: every, firstDelayMs: first };
  });
  const pipeline = createMitigationPipeline({ checker, config: MitigationConfigSchema.parse({ profiles: { "hold-all": [{ module: "verify", streamMode: "hold-all" }] } }) });
  const none = await startGateway({ config: { models: [upstreamModel(up)] }, services: { mitigationsFor: () => [], packageChecker: checker, retriever: undefined } });
  const gw = await startGateway({ config: { models: [upstreamModel(up)] }, services: { pipeline, packageChecker: checker, retriever: undefined } });
  const modes = [
    { mode: "pass-through (no mitigations)", g: none, model: "up" },
    { mode: "annotate (default: nothing held)", g: gw, model: "up" },
    { mode: "strict (block: code and installs held)", g: gw, model: "up:strict" },
    { mode: "hold-all", g: gw, model: "up:hold-all" },
  ];
  const rows: Record<string, unknown>[] = [];
  for (const answer of answers) {
    current = answer.text;
    const m = modes.map(() => ({ first: [] as number[], total: [] as number[] }));
    for (let i = 0; i < N + 2; i++) {
      for (const [j, md] of modes.entries()) {
        const client = new OpenAI({ baseURL: md.g.baseURL, apiKey: "x", maxRetries: 0 });
        const t0 = performance.now();
        let f: number | undefined;
        for await (const chunk of await client.chat.completions.create({ model: md.model, stream: true, messages: [{ role: "user", content: "fetch a page" }] })) {
          if (chunk.choices[0]?.delta?.content && f === undefined) f = performance.now() - t0;
        }
        if (i < 2) continue;
        m[j]!.first.push(f!);
        m[j]!.total.push(performance.now() - t0);
      }
    }
    const base = median(m[0]!.first);
    for (const [j, md] of modes.entries()) {
      rows.push({ answer: answer.shape, mode: md.mode, ttftMs: ms(median(m[j]!.first)), ttftRatio: ms(median(m[j]!.first) / base), totalMs: ms(median(m[j]!.total)) });
    }
  }
  await none.close();
  await gw.close();
  await up.close();
  console.table(rows);
  results.ttft = { date: new Date().toISOString(), firstTokenMs: first, tokenEveryMs: every, charsPerToken: 4, streamsPerRow: N, rows };
}

function paperPrompts(n: number): string[] {
  const raw = gunzipSync(readFileSync(`${repoRoot}/data/eval/paper/Python_LLM_AT.json.gz`)).toString("utf8");
  const out: string[] = [];
  for (const line of raw.split("\n")) {
    try {
      const p = JSON.parse(line);
      if (typeof p === "string" && p.startsWith("Generate")) out.push(p);
    } catch {
      // The file's first line is malformed (several prompts run together).
    }
    if (out.length === n) break;
  }
  return out;
}

/** A LoRA from the fine-tuning work (`--adapter`, or the first models/adapters/*.gguf) for adapter/ensemble rows. */
function findAdapter(): string | undefined {
  if (args.get("adapter")) return args.get("adapter");
  const dir = `${repoRoot}/models/adapters`;
  if (!existsSync(dir)) return undefined;
  const f = readdirSync(dir).find((x) => x.endsWith(".gguf"));
  return f ? `${dir}/${f}` : undefined;
}

async function testbed(retriever: Retriever | undefined) {
  const n = Number(args.get("n") ?? 200);
  const profiles = (args.get("profiles") ?? "default,rag,self-refine,ensemble").split(",");
  const prompts = paperPrompts(n);
  const SYSTEM = "You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use.";
  const pipeline = createMitigationPipeline({ checker, retriever, config: MitigationConfigSchema.parse({}) });
  const adapter = findAdapter();
  const model = testbedModel({ defaults: { temperature: 0, max_tokens: 256 }, ...(adapter ? { adapters: [{ name: "ft", path: adapter }] } : {}) });
  const gw = await startGateway({ config: { models: [model] }, services: { pipeline, packageChecker: checker, retriever } });
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 });
  const rows: Record<string, unknown>[] = [];
  for (const profile of profiles) {
    if ((profile === "rag" || profile === "ensemble") && !retriever) {
      rows.push({ profile, skipped: "no RAG index" });
      continue;
    }
    const acc = { model: { pkgs: 0, bad: 0, answers: 0 }, client: { pkgs: 0, bad: 0, answers: 0 }, rounds: 0, seconds: 0, blocked: 0 };
    const t0 = performance.now();
    for (const p of prompts) {
      const r: any = await client.chat.completions.create({ model: `testbed:${profile}`, messages: [{ role: "system", content: SYSTEM }, { role: "user", content: p }] });
      const sg = r.slopguard;
      const modelTotals = sg.model_totals ?? sg.totals;
      acc.model.pkgs += modelTotals.packages; acc.model.bad += modelTotals.not_found; acc.model.answers += modelTotals.not_found > 0 ? 1 : 0;
      // A blocked answer's report lists what was withheld; the client received none of those names.
      if (sg.action === "blocked") acc.blocked++;
      else { acc.client.pkgs += sg.totals.packages; acc.client.bad += sg.totals.not_found; acc.client.answers += sg.totals.not_found > 0 ? 1 : 0; }
      acc.rounds += sg.mitigations.find((m: any) => m.module === "self-refine")?.data.rounds ?? 0;
    }
    acc.seconds = (performance.now() - t0) / 1000;
    const pct = (a: number, b: number) => (b ? Math.round((1000 * a) / b) / 10 : 0);
    rows.push({
      profile,
      date: new Date().toISOString(),
      retriever: profile === "rag" || profile === "ensemble" ? "R's LanceDB index" : null,
      adapter: profile === "finetuned" || profile === "ensemble" ? (adapter ?? "none available: adapter module skipped") : null,
      modelRatePct: pct(acc.model.bad, acc.model.pkgs),
      modelAnswersWithHalluc: acc.model.answers,
      clientRatePct: pct(acc.client.bad, acc.client.pkgs),
      clientAnswersWithHalluc: acc.client.answers,
      packagesAtClient: acc.client.pkgs,
      regenerations: acc.rounds,
      blockedAnswers: acc.blocked,
      secondsPerPrompt: ms(acc.seconds / prompts.length),
    });
    console.table([rows.at(-1)]);
  }
  await gw.close();
  console.table(rows);
  results.testbed = { prompts: prompts.length, source: "data/eval/paper/Python_LLM_AT.json.gz (first valid 'Generate…' lines)", decoding: "greedy, max_tokens 256", rows };
}

const retriever = parts.includes("testbed") || parts.includes("overhead") ? await realRetriever() : undefined;
if (parts.includes("overhead")) await overhead(retriever ?? fixed);
if (parts.includes("ttft")) await ttft();
if (parts.includes("testbed")) await testbed(retriever);
// Re-read before writing: another run (other profiles) may have finished meanwhile.
const onDisk: Record<string, any> = existsSync(RESULTS) ? JSON.parse(readFileSync(RESULTS, "utf8")) : {};
if (results.testbed && onDisk.testbed?.rows) {
  const mine: Record<string, unknown>[] = results.testbed.rows;
  results.testbed.rows = [...onDisk.testbed.rows.filter((r: any) => !mine.some((x) => x.profile === r.profile)), ...mine];
}
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(RESULTS, JSON.stringify({ ...onDisk, ...results }, null, 2));
await checker.close();
process.exit(0);
