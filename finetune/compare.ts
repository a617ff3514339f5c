/**
 * Base vs adapter on the same held-out prompts: per-name hallucination rate with bootstrap CIs on the
 * testbed's listing sets and on the paper's Python code prompts, and HumanEval pass@1. Each arm's raw
 * answers are saved, so the two arms can run at different times and the figures can be recomputed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { openGenerator, type ChatPrompt } from "./generate.js";
import { readPaperPrompts } from "./heldout.js";
import { parseListing } from "./dataset.js";
import { normalizeName, rng, SYS } from "./prompts.js";
import { pairedDiffCI, rateWithCI, wilson, type PromptScore } from "./stats.js";
import { HUMANEVAL_SYSTEM, humanevalUser, passes, readProblems } from "./humaneval.js";

export interface EvalSet {
  name: string;
  ecosystem: "pypi" | "npm";
  kind: "list" | "code";
  prompts: ChatPrompt[];
  /** The package each testbed prompt was written from: naming it is the "task fit" of an answer. */
  sources?: string[];
}

export interface ArmResult {
  arm: string;
  adapter: string | null;
  sets: Record<string, { answers: string[] }>;
  humaneval?: { answers: string[]; passed: boolean[] };
  seconds: number;
}

const gz = (p: string) => gunzipSync(readFileSync(p)).toString("utf8");

/** Registry name sets from the package snapshot (data/registry, engineer P's copy). */
export function loadNameSets(dataDir: string): Record<"pypi" | "npm", Set<string>> {
  const pypi = new Set(gz(join(dataDir, "registry/pypi-names.txt.gz")).split("\n").filter(Boolean).map((n) => normalizeName(n, "pypi")));
  const npm = new Set(gz(join(dataDir, "registry/npm.tsv.gz")).split("\n").map((l) => l.split("\t")[0]!).filter(Boolean).map((n) => n.toLowerCase()));
  return { pypi, npm };
}

export function loadEvalSets(dataDir: string, opts: { paperCount: number; seed: number }): EvalSet[] {
  const sets: EvalSet[] = [];
  for (const name of ["heldout_pypi", "heldout_npm", "seen_pypi"]) {
    const rows = gz(join(dataDir, `eval/testbed/${name}.jsonl.gz`)).split("\n").filter(Boolean)
      .map((l) => JSON.parse(l) as { system: string; user: string; registry: "pypi" | "npm"; name: string });
    sets.push({ name, ecosystem: rows[0]!.registry, kind: "list", prompts: rows.map((r) => ({ system: r.system, user: r.user })),
      sources: rows.map((r) => normalizeName(r.name, r.registry)) });
  }
  const paper = readPaperPrompts(join(dataDir, "eval/paper/Python_LLM_AT.json.gz")).filter((p) => p.startsWith("Generate Python code"));
  const rand = rng(opts.seed);
  const picked = new Set<number>();
  while (picked.size < Math.min(opts.paperCount, paper.length)) picked.add(Math.floor(rand() * paper.length));
  sets.push({ name: `paper_python_code_${opts.paperCount}`, ecosystem: "pypi", kind: "code",
    prompts: [...picked].sort((a, b) => a - b).map((i) => ({ system: SYS.codePy, user: paper[i]! })) });
  return sets;
}

/** Names an answer recommends: the list itself, or the arguments of install commands in code. */
export function namesOf(answer: string, kind: "list" | "code", ecosystem: "pypi" | "npm"): string[] {
  if (kind === "list") return parseListing(answer).map((n) => normalizeName(n, ecosystem));
  const re = ecosystem === "pypi" ? /\b(?:pip3?|python3? -m pip) install\s+([^\n`]+)/g : /\bnpm (?:install|i|add)\s+([^\n`]+)/g;
  const out = new Set<string>();
  for (const m of answer.matchAll(re)) {
    for (const tok of m[1]!.trim().split(/\s+/)) {
      if (!tok || tok.startsWith("-")) continue;
      const bare = ecosystem === "pypi" ? tok.split(/[<>=!~[;]/)[0]! : tok.replace(/(?<=.)@[^/]*$/, "");
      if (bare) out.add(normalizeName(bare, ecosystem));
    }
  }
  return [...out];
}

export async function runArm(opts: {
  arm: string; modelPath: string; adapter?: string; sets: EvalSet[]; humanevalPath?: string; heLimit?: number;
  log?: (msg: string) => void;
}): Promise<ArmResult> {
  const t0 = performance.now();
  const gen = await openGenerator({ modelPath: opts.modelPath, ...(opts.adapter ? { adapters: [{ filePath: opts.adapter }] } : {}) });
  const result: ArmResult = { arm: opts.arm, adapter: opts.adapter ?? null, sets: {}, seconds: 0 };
  try {
    for (const s of opts.sets) {
      const answers = await gen.answer(s.prompts, { maxTokens: s.kind === "list" ? 64 : 192 });
      result.sets[s.name] = { answers };
      opts.log?.(`${opts.arm} ${s.name}: ${answers.length} answers`);
    }
    if (opts.humanevalPath) {
      const problems = readProblems(opts.humanevalPath).slice(0, opts.heLimit ?? 164);
      const answers = await gen.answer(problems.map((p) => ({ system: HUMANEVAL_SYSTEM, user: humanevalUser(p) })), { maxTokens: 256 });
      const passed = await passes(problems, answers);
      result.humaneval = { answers, passed };
      opts.log?.(`${opts.arm} humaneval: ${passed.filter(Boolean).length}/${problems.length}`);
    }
  } finally {
    await gen.dispose();
  }
  result.seconds = +((performance.now() - t0) / 1000).toFixed(1);
  return result;
}

/**
 * The same arm with the HF checkpoint (+ peft adapter) in batches (finetune/generate_hf.py): ~100x the
 * throughput of one-at-a-time llama.cpp on a shared 2-core machine; the GGUF arm checks that the served
 * adapter gives the same answers.
 */
export async function runArmHf(opts: {
  arm: string; python: string; baseHf: string; adapterDir?: string; sets: EvalSet[]; humanevalPath?: string; heLimit?: number;
}): Promise<ArmResult> {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "ft-cmp-"));
  try {
    const rows: { set: string; system: string; user: string; kind: string; max_tokens: number }[] = [];
    for (const s of opts.sets) for (const p of s.prompts) rows.push({ set: s.name, ...p, kind: s.kind, max_tokens: s.kind === "list" ? 64 : 192 });
    const problems = opts.humanevalPath ? readProblems(opts.humanevalPath).slice(0, opts.heLimit ?? 164) : [];
    for (const p of problems) rows.push({ set: "humaneval", system: HUMANEVAL_SYSTEM, user: humanevalUser(p), kind: "code", max_tokens: 256 });
    writeFileSync(join(dir, "in.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const args = ["finetune/generate_hf.py", "--base", opts.baseHf, "--prompts", join(dir, "in.jsonl"), "--out", join(dir, "out.jsonl"), "--batch", "256", "--threads", "1"];
    if (opts.adapterDir) args.push("--adapter", opts.adapterDir);
    const r = spawnSync(opts.python, args, { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`generate_hf.py failed with status ${r.status}`);
    const out = readFileSync(join(dir, "out.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { set: string; answer: string });
    const result: ArmResult = { arm: opts.arm, adapter: opts.adapterDir ?? null, sets: {}, seconds: 0 };
    for (const s of opts.sets) result.sets[s.name] = { answers: out.filter((o) => o.set === s.name).map((o) => o.answer) };
    if (problems.length) {
      const answers = out.filter((o) => o.set === "humaneval").map((o) => o.answer);
      result.humaneval = { answers, passed: await passes(problems, answers) };
    }
    result.seconds = +((performance.now() - t0) / 1000).toFixed(1);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function scoreArm(arm: ArmResult, sets: EvalSet[], names: Record<"pypi" | "npm", Set<string>>): Record<string, PromptScore[]> {
  const out: Record<string, PromptScore[]> = {};
  for (const s of sets) {
    const answers = arm.sets[s.name]?.answers ?? [];
    out[s.name] = answers.map((a) => {
      const ns = namesOf(a, s.kind, s.ecosystem);
      return { names: ns.length, bad: ns.filter((n) => !names[s.ecosystem].has(n)).length };
    });
  }
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Markdown table and JSON summary of base vs adapter. */
export function compareArms(base: ArmResult, tuned: ArmResult, sets: EvalSet[], names: Record<"pypi" | "npm", Set<string>>) {
  const bs = scoreArm(base, sets, names), ts = scoreArm(tuned, sets, names);
  const rows: string[] = ["| set | prompts | base rate [95% CI] (prompts with ≥1) | adapter rate [95% CI] (prompts with ≥1) | names/answer base → adapter | source package named base → adapter | adapter − base [95% CI] |", "| --- | --- | --- | --- | --- | --- | --- |"];
  const fit = (arm: ArmResult, s: EvalSet) =>
    s.sources ? (arm.sets[s.name]?.answers ?? []).filter((a, i) => namesOf(a, s.kind, s.ecosystem).includes(s.sources![i]!)).length : null;
  const summary: Record<string, unknown> = {};
  for (const s of sets) {
    const b = rateWithCI(bs[s.name]!), t = rateWithCI(ts[s.name]!), d = pairedDiffCI(bs[s.name]!, ts[s.name]!);
    const fb = fit(base, s), ft = fit(tuned, s);
    summary[s.name] = { base: b, adapter: t, diff: d, sourceNamed: { base: fb, adapter: ft } };
    rows.push(`| ${s.name} | ${b.prompts} | ${pct(b.rate)} [${pct(b.lo)}, ${pct(b.hi)}] (${b.promptsWithBad}) | ${pct(t.rate)} [${pct(t.lo)}, ${pct(t.hi)}] (${t.promptsWithBad}) | ${(b.names / b.prompts).toFixed(2)} → ${(t.names / t.prompts).toFixed(2)} | ${fb ?? "–"} → ${ft ?? "–"} | ${(100 * d.diff).toFixed(1)} pp [${(100 * d.lo).toFixed(1)}, ${(100 * d.hi).toFixed(1)}] |`);
  }
  if (base.humaneval && tuned.humaneval) {
    const hb = wilson(base.humaneval.passed.filter(Boolean).length, base.humaneval.passed.length);
    const ht = wilson(tuned.humaneval.passed.filter(Boolean).length, tuned.humaneval.passed.length);
    summary.humaneval = { base: hb, adapter: ht, problems: base.humaneval.passed.length };
    rows.push(`| HumanEval pass@1 (greedy) | ${base.humaneval.passed.length} | ${pct(hb.p)} [${pct(hb.lo)}, ${pct(hb.hi)}] | ${pct(ht.p)} [${pct(ht.lo)}, ${pct(ht.hi)}] | | | |`);
  }
  return { table: rows.join("\n"), summary };
}

export function saveArm(dir: string, arm: ArmResult): void {
  writeFileSync(join(dir, `${arm.arm}.json`), JSON.stringify(arm));
}

export function loadArm(dir: string, name: string): ArmResult | null {
  const p = join(dir, `${name}.json`);
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as ArmResult) : null;
}
