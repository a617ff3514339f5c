/**
 * npm run bench:constrain [-- --n 50 --parts build,scale,decode --sets heldout_pypi,seen_pypi,paper_python,heldout_npm,seen_npm,paper_javascript]
 *
 * 1. build: what constrained decoding costs to set up: the name lists (full PyPI + npm, and the
 *    popular subsets), the vocabulary trie of the testbed GGUF, the first decision of every
 *    kind of construct, and the memory all of it holds (run with --expose-gc for clean figures).
 * 2. scale: the same on a synthetic 150k-token vocabulary (trie build, decisions).
 * 3. decode: the testbed GGUF through the real mitigation pipeline (verify + the profile),
 *    `default` against `constrained`, prompt by prompt in one process (the two alternate, so
 *    load on this shared machine hits both alike). For each answer: made-up names at the model
 *    per place (install lines, imports, list answers; the eval's H1 and H3 readings and
 *    verdicts), task fit (the answer names the package the prompt was written from), and decode
 *    speed (tokens after the first / time from the first token to the last, in the provider).
 * Results go to bench/results/constrain.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { parseConfig } from "../src/config/load.js";
import type { LocalModelConfig } from "../src/config/schema.js";
import { ConstrainOptionsSchema } from "../src/mitigation/constrain/config.js";
import { micro, type Micro } from "../src/mitigation/constrain/micro.js";
import { nameListsFor } from "../src/mitigation/constrain/names.js";
import { createMitigationPipeline } from "../src/mitigation/index.js";
import { createPackageChecker } from "../src/packages/index.js";
import { splitMarkdown } from "../src/packages/extract/markdown.js";
import { LocalProvider } from "../src/providers/local/index.js";
import { ModelConstrainer } from "../src/providers/local/constrain/index.js";
import { Engine } from "../src/providers/local/constrain/engine.js";
import { buildVocab } from "../src/providers/local/constrain/vocab.js";
import { startAll } from "../src/mitigation/constrain/matchers.js";
import type { ModelCall } from "../src/core/parts.js";
import type { Provider } from "../src/providers/types.js";
import { createGatewayService } from "../src/server/service.js";
import { loadDataset, h3User, type PackagePrompt } from "../eval/datasets.js";
import { h1Packages, listPackages, type PkgVerdict } from "../eval/heuristics.js";
import { normalizeFor } from "../eval/metrics.js";
import { DEFAULT_TEMPLATES, ecosystemOf, fill, PAPER_PARAMS } from "../eval/prompts.js";
import { repoRoot, testbedModel } from "../test/helpers/gateway.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const parts = (args.get("parts") ?? "build,scale,decode").split(",");
const N = Number(args.get("n") ?? 50);
const SETS = (args.get("sets") ?? "heldout_pypi,seen_pypi,paper_python,heldout_npm,seen_npm,paper_javascript").split(",");
const results: Record<string, unknown> = { machine: "2 cores shared by ~7 agents, no GPU", date: new Date().toISOString(), n: N };
const ms = (x: number) => Math.round(x * 100) / 100;
const mb = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
const gc = () => (globalThis as { gc?: () => void }).gc?.();
/** Wall and CPU milliseconds of a synchronous step (CPU time is what the step costs; wall time adds waiting for a busy core). */
function measure<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const used = process.cpuUsage(cpu);
  return { value, ms: ms(performance.now() - t0), cpuMs: ms((used.user + used.system) / 1000) };
}
const heap = () => {
  gc();
  return process.memoryUsage();
};

// The checker's snapshot (shared with the name lists) and what loading it costs.
const boot = heap();
const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
const booted = heap();

const config = parseConfig(
  { models: [testbedModel({ defaults: {} })], rag: { enabled: false }, packages: { mode: "offline" } },
  { baseDir: repoRoot, source: "bench" },
);
const modelConfig = config.models[0] as LocalModelConfig;

async function build() {
  const out: Record<string, unknown> = { snapshotLoadMs: ms(checker.snapshot.loadMs), snapshotRssMB: mb(booted.rss - boot.rss) };
  for (const [label, names] of [["all", { pypi: "all", npm: "all" }], ["popular", { pypi: { top: 5000 }, npm: { minDownloads: 100_000 } }]] as const) {
    const before = heap();
    const built = measure(() => nameListsFor(checker.snapshot, ConstrainOptionsSchema.parse({ names })));
    const after = heap();
    out[`lists_${label}`] = { ms: built.ms, cpuMs: built.cpuMs, heapMB: mb(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers), ...built.value.stats };
  }
  const provider = new LocalProvider(modelConfig);
  await provider.init();
  const model = (provider as unknown as { model: import("node-llama-cpp").LlamaModel }).model;
  const before = heap();
  const constrainer = new ModelConstrainer(model);
  const vb = measure(() => constrainer.vocab);
  const vocab = vb.value;
  const lists = nameListsFor(checker.snapshot, ConstrainOptionsSchema.parse({}));
  const engine = constrainer.engineFor(lists);
  // The first decision from each kind of construct: what a cold engine pays once.
  const firsts: Micro[] = [
    micro({ mode: "install", kind: "multi", phase: "arm", set: lists.install.pypi, cc: "pypi" }),
    micro({ mode: "install", kind: "multi", phase: "arm", set: lists.install.npm, cc: "npm" }),
    micro({ mode: "pyimport", kind: "import", phase: "arm", set: lists.pyImport([]), cc: "ident" }),
    micro({ mode: "jsspec", phase: "armq", set: lists.jsImport, cc: "npm" }),
    micro({ mode: "list", phase: "line", set: lists.list.pypi, cc: "pypi" }),
    micro({ mode: "list", phase: "arm", set: lists.list.npm, cc: "npm" }),
    micro({ mode: "req", phase: "line", set: lists.requirements, cc: "pypi" }),
    micro({ mode: "pkgjson", phase: "key", set: lists.packageJson, cc: "npm" }),
  ];
  const warm = measure(() => firsts.forEach((m) => engine.decide(m)));
  const after = heap();
  out.trie = {
    model: "testbed (8,192 tokens)",
    vocabTokens: vocab.size,
    vocabNodes: vocab.nodes,
    vocabBuild: { ms: vb.ms, cpuMs: vb.cpuMs },
    vocabKB: Math.round(vocab.bytes / 1024),
    firstDecisions: { count: firsts.length, ms: warm.ms, cpuMs: warm.cpuMs },
    cachesKB: Math.round(engine.cacheBytes() / 1024),
    heapMB: mb(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers),
    buildTotal: { ms: ms(vb.ms + warm.ms), cpuMs: ms(vb.cpuMs + warm.cpuMs) },
  };
  await provider.close();
  results.build = out;
  console.log("build", JSON.stringify(out, null, 1));
}

interface Clock {
  tokens: number;
  /** Wall time from the first text chunk to the end. */
  ms: number;
  /**
   * CPU time of this process over the same span (llama.cpp's decode thread and every JS step of
   * the gateway): unlike wall time it does not grow while other jobs hold the shared cores.
   */
  cpuMs: number;
}

/** Wraps the provider to time decoding: first text part to the end, and the completion tokens. */
function timed(inner: Provider, clock: Clock): Provider {
  return {
    kind: inner.kind,
    api: inner.api,
    capabilities: inner.capabilities,
    init: () => inner.init(),
    ready: () => inner.ready(),
    close: () => inner.close(),
    generate: (c, o) => inner.generate(c, o),
    async *stream(c, o) {
      let first: number | undefined;
      let cpu: NodeJS.CpuUsage | undefined;
      let tokens = 0;
      for await (const part of inner.stream(c, o)) {
        if (first === undefined && part.type === "text-delta" && part.delta) {
          first = performance.now();
          cpu = process.cpuUsage();
        }
        if (part.type === "finish" && part.usage) tokens = part.usage.outputTokens;
        yield part;
      }
      if (first !== undefined && tokens > 1) {
        const used = process.cpuUsage(cpu);
        clock.tokens += tokens - 1;
        clock.ms += performance.now() - first;
        clock.cpuMs += (used.user + used.system) / 1000;
      }
    },
  };
}

interface Tally {
  packages: Record<string, { total: number; madeUp: number }>;
  fit: { asked: number; hit: number };
  clock: Clock;
  resamples: number;
  /** Constrained answers that max_tokens stopped inside a name (the name can then be a prefix only). */
  cutShort: number;
  decideMs: number;
  noPackages: number;
  answers: number;
}
const tally = (): Tally => ({ packages: {}, fit: { asked: 0, hit: 0 }, clock: { tokens: 0, ms: 0, cpuMs: 0 }, resamples: 0, cutShort: 0, decideMs: 0, noPackages: 0, answers: 0 });

/**
 * Imports, read from each code block on its own: the extractor reports a name once, where it
 * first appears, so `import x` after `pip install x` would otherwise not count as an import.
 */
async function codeImports(text: string, eco: "pypi" | "npm"): Promise<PkgVerdict[]> {
  const out: PkgVerdict[] = [];
  for (const block of splitMarkdown(text)) {
    if (block.kind !== "python" && block.kind !== "javascript") continue;
    const report = await checker.check({ code: block.lines.join("\n"), language: block.kind, ecosystem: eco });
    for (const p of report.packages) if (p.source === "import" && p.ecosystem === eco) out.push({ name: p.name, normalized: p.normalized, verdict: p.verdict, source: "import" });
  }
  return out;
}

function count(t: Tally, pkgs: PkgVerdict[]) {
  t.answers++;
  if (!pkgs.length) t.noPackages++;
  for (const p of pkgs) {
    const place = p.source === "requirements" || p.source === "package_json" ? "manifest" : p.source;
    const row = (t.packages[place] ??= { total: 0, madeUp: 0 });
    row.total++;
    // As the eval counts by default: a name missing from the (partial npm) master list is made up.
    if (p.verdict !== "exists") row.madeUp++;
  }
}

async function decode() {
  const pipeline = createMitigationPipeline({ checker, models: config.models, config: config.mitigation });
  const provider = new LocalProvider(modelConfig);
  await provider.init();
  const profiles = ["default", "constrained"] as const;
  const tallies = Object.fromEntries(profiles.map((p) => [p, {} as Record<string, Tally>])) as Record<(typeof profiles)[number], Record<string, Tally>>;
  const clocks = Object.fromEntries(profiles.map((p) => [p, { tokens: 0, ms: 0, cpuMs: 0 } as Clock]));
  /** Per answer pair (same prompt, both profiles, run back to back): constrained CPU time per token over default's. */
  const ratios: { all: number[]; same: number[] } = { all: [], same: [] };
  const services = Object.fromEntries(
    profiles.map((p) => [p, createGatewayService({ config, providers: new Map([["testbed", timed(provider, clocks[p]!)]]), pipeline })]),
  );
  const builtins = { pythonStdlib: checker.snapshot.pythonStdlib, nodeBuiltins: checker.snapshot.nodeBuiltins };
  const ask = async (profile: (typeof profiles)[number], prompt: PackagePrompt, list: boolean, seed: number) => {
    const eco = ecosystemOf(prompt.language);
    const text = (t: string) => [{ type: "text" as const, text: t }];
    const call: ModelCall = {
      prompt: list
        ? [{ role: "system", content: text(fill(DEFAULT_TEMPLATES.listSystem, prompt.language)) }, { role: "user", content: text(h3User(prompt)) }]
        : [{ role: "system", content: text(fill(DEFAULT_TEMPLATES.codeSystem, prompt.language)) }, { role: "user", content: text(prompt.code) }],
      temperature: list ? PAPER_PARAMS.listTemperature : PAPER_PARAMS.codeTemperature,
      topP: PAPER_PARAMS.topP,
      maxOutputTokens: list ? PAPER_PARAMS.listMaxTokens : 400,
      seed,
    };
    const clock = clocks[profile]!;
    const before = { ...clock };
    const run = services[profile]!.start({ model: "testbed", call, api: "chat", requestId: `bench-${seed}`, signal: new AbortController().signal, profileHeader: profile, ecosystemHeader: eco });
    let answer = "";
    let report: { mitigations: { module: string; data?: { resamples?: number; decide_ms?: number; cut_short?: number } }[] } | undefined;
    for await (const part of run.stream()) {
      if (part.type === "text-delta") answer += part.delta;
      if (part.type === "report") report = part.report;
    }
    const pkgs = list ? await listPackages(checker, answer, eco, undefined, builtins) : [...(await h1Packages(checker, answer, eco)), ...(await codeImports(answer, eco))];
    const key = prompt.dataset;
    const t = (tallies[profile][key] ??= tally());
    count(t, pkgs);
    const spent = { tokens: clock.tokens - before.tokens, ms: clock.ms - before.ms, cpuMs: clock.cpuMs - before.cpuMs };
    t.clock.tokens += spent.tokens;
    t.clock.ms += spent.ms;
    t.clock.cpuMs += spent.cpuMs;
    lastSpent[profile] = { ...spent, text: answer };
    const rec = report?.mitigations?.find((m) => m.module === "constrain");
    t.resamples += rec?.data?.resamples ?? 0;
    t.cutShort += rec?.data?.cut_short ?? 0;
    t.decideMs += rec?.data?.decide_ms ?? 0;
    return pkgs;
  };
  const lastSpent: Record<string, Clock & { text: string }> = {};
  const pair = () => {
    const [a, b] = [lastSpent.default, lastSpent.constrained];
    if (!a || !b || a.tokens < 5 || b.tokens < 5) return;
    const r = b.cpuMs / b.tokens / (a.cpuMs / a.tokens);
    ratios.all.push(r);
    if (a.text === b.text) ratios.same.push(r);
  };
  const specs = SETS.map((s) => {
    const paper = /^paper_(python|javascript)$/.exec(s);
    return paper ? { kind: "paper" as const, language: paper[1] as "python" | "javascript" } : { kind: "testbed" as const, set: s };
  });
  const t0 = performance.now();
  for (const spec of specs) {
    const prompts = loadDataset(spec, { sample: N, seed: 42 }) as PackagePrompt[];
    for (const [i, prompt] of prompts.entries()) {
      for (const list of [false, true]) {
        // Alternate which profile goes first, so drift on the machine does not favour one.
        const order = i % 2 ? [...profiles].reverse() : profiles;
        const named: Record<string, string[]> = {};
        for (const profile of order) named[profile] = (await ask(profile, prompt, list, 1000 + i)).map((p) => p.normalized);
        pair();
        if (prompt.expected) {
          const want = normalizeFor(ecosystemOf(prompt.language), prompt.expected);
          for (const profile of profiles) {
            const fit = tallies[profile][prompt.dataset]!.fit;
            if (list) continue;
            fit.asked++;
            if (named[profile]!.includes(want)) fit.hit++;
          }
        }
      }
    }
    console.error(`${spec.kind}/${"set" in spec ? spec.set : spec.language}: ${prompts.length} prompts, ${Math.round((performance.now() - t0) / 1000)} s so far`);
  }
  const speed = (c: Clock) => ({ wall: c.ms ? Math.round((c.tokens / c.ms) * 1000) : 0, cpu: c.cpuMs ? Math.round((c.tokens / c.cpuMs) * 1000) : 0 });
  const quantiles = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (f: number) => ms(s[Math.min(s.length - 1, Math.floor(f * s.length))] ?? 0);
    return { n: s.length, p25: q(0.25), median: q(0.5), p75: q(0.75) };
  };
  const table = Object.fromEntries(
    profiles.map((p) => [p, Object.fromEntries(Object.entries(tallies[p]).map(([set, t]) => [set, { ...t, decideMs: ms(t.decideMs), tokPerS: speed(t.clock) }]))]),
  );
  const all = Object.fromEntries(profiles.map((p) => [p, speed(clocks[p]!)]));
  results.decode = {
    table,
    tokPerS: all,
    // Aggregate slowdown (default tokens/s over constrained), by wall time and by CPU time.
    slowdown: { wall: ms(all.default!.wall / Math.max(1, all.constrained!.wall)), cpu: ms(all.default!.cpu / Math.max(1, all.constrained!.cpu)) },
    // Per pair: constrained CPU ms/token over default's; `same`: pairs whose answers came out identical (machinery only).
    pairedCpuRatio: { all: quantiles(ratios.all), same: quantiles(ratios.same) },
    wallS: Math.round((performance.now() - t0) / 1000),
  };
  console.log(JSON.stringify(results.decode, null, 1));
  await provider.close();
}

/**
 * A 150k-token vocabulary (the size of Qwen's or Llama 3's) made of pieces of real package names
 * and code words, with and without a leading space: how the vocabulary trie and the decisions
 * scale beyond the testbed's 8k tokens. No model is needed: the trie only reads token texts.
 */
function scale() {
  const size = Number(args.get("vocab") ?? 150_000);
  const names = checker.snapshot.pypi.names;
  const pieces = new Set<string>();
  for (let i = 0; pieces.size < size - 1000; i = (i + 7919) % names.size) {
    const n = names.at(i);
    const a = (i * 31) % Math.max(1, n.length - 1);
    const piece = n.slice(a, a + 2 + (i % 7));
    pieces.add(i % 3 ? piece : ` ${piece}`);
  }
  for (const w of ["\n", " ", ",", ", ", "==", "(", ")", "\n\n", "    ", "import", " import", " install", "pip", "npm"]) pieces.add(w);
  const texts = [...pieces];
  const vb = measure(() => buildVocab({ ids: [...texts.keys(), texts.length], text: (id) => texts[id]!, special: (id) => id === texts.length }));
  const vocab = vb.value;
  const lists = nameListsFor(checker.snapshot, ConstrainOptionsSchema.parse({}));
  const engine = new Engine(vocab, { memoBytes: 16 << 20 });
  const arm = micro({ mode: "install", kind: "multi", phase: "arm", set: lists.install.pypi, cc: "pypi" });
  const time = (m: Micro) => {
    const d = measure(() => engine.decide(m));
    return { ms: d.ms, cpuMs: d.cpuMs, kind: d.value.kind, ids: d.value.ids.length };
  };
  const out = {
    tokens: vocab.size,
    nodes: vocab.nodes,
    build: { ms: vb.ms, cpuMs: vb.cpuMs },
    vocabMB: mb(vocab.bytes),
    armFirst: time(arm),
    armCached: time(arm),
    inName: Object.fromEntries(["d", "django-", "django-db", "requests-oauth"].map((p) => [p, time({ ...arm, pos: startAll(lists.install.pypi, p)! })])),
    cachesMB: mb(engine.cacheBytes()),
  };
  results.scale = out;
  console.log("scale", JSON.stringify(out, null, 1));
}

if (parts.includes("build")) await build();
if (parts.includes("scale")) scale();
if (parts.includes("decode")) await decode();
await checker.close();
// Parts run separately accumulate in one file.
const file = new URL("./results/constrain.json", import.meta.url);
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
const previous = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 1)}\n`);
