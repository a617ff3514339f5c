/**
 * Everything the report shows, computed from results.jsonl records: the paper's
 * package hallucination rate (hallucinated / all packages) overall and per heuristic,
 * with clustered-bootstrap CIs; prompts with ≥1 hallucination; unique names; task fit;
 * persistence over repeats; distance to the nearest valid name; cross-language share;
 * the temperature sweep; HumanEval pass@1.
 */
import { packageKey } from "../src/packages/names.js";
import type { Ecosystem, Verdict } from "../src/packages/types.js";
import type { EvalConfig, Heuristic } from "./config.js";
import { isBuiltin, type Builtins } from "./heuristics.js";
import { passAtKOverTasks } from "./humaneval.js";
import type { NameIndex } from "./names.js";
import { ecosystemOf } from "./prompts.js";
import type { EvalRecord } from "./records.js";
import { clusteredBootstrap, histogram, type Cluster, type RateCI } from "./stats.js";

export const HEURISTICS: Heuristic[] = ["h1", "h2", "h3"];

/** true: hallucinated; false: valid (an allowlisted private package is valid); null: left out of the rate. */
export function isHallucination(v: Verdict, unknownAs: EvalConfig["unknownAs"]): boolean | null {
  if (v === "not_found") return true;
  if (v === "exists" || v === "allowed") return false;
  return unknownAs === "hallucination" ? true : unknownAs === "valid" ? false : null;
}

/** The gateway's package key (src/packages/names.ts), so eval and gateway count the same names as one. */
export function normalizeFor(eco: Ecosystem, name: string): string {
  return packageKey(eco, name);
}

interface MetricOptions {
  unknownAs: EvalConfig["unknownAs"];
  /** Stdlib/builtin names in list answers are dropped (also for records written before the runner dropped them). */
  builtins?: Builtins;
  resamples: number;
  seed: number;
  /** Table order: the config's models and profiles (others follow in the order they were first run). */
  order?: { models?: string[]; profiles?: string[] };
}

export interface PackageGroup {
  model: string;
  profile: string;
  temperature: number;
  dataset: string;
  language: string;
  records: number;
  prompts: number;
  rate: RateCI;
  perHeuristic: Partial<Record<Heuristic, RateCI>>;
  unknown: number;
  promptsWithHallucination: { count: number; share: number };
  uniqueHallucinated: number;
  /** Share of answers naming the package the prompt was written from (testbed sets). */
  taskFit?: { any: number; perHeuristic: Partial<Record<Heuristic, number>>; records: number };
  tokens: { prompt: number; completion: number };
  /**
   * Answers (one per item and heuristic) that name no package, and those the gateway blocked
   * (`finish_reason: content_filter`). A low rate from answers that say nothing, or from blocked
   * answers (`strict`), is a different result from a low rate of answers that help.
   */
  answers: { total: number; withoutPackages: number; blocked: number };
  meanItemMs: number;
}

type Key = Pick<PackageGroup, "model" | "profile" | "temperature"> & Partial<Pick<PackageGroup, "dataset" | "language">>;

function hallucinatedOf(r: EvalRecord, h: Heuristic, o: MetricOptions): { num: number; den: number; unknown: number; names: string[] } {
  let num = 0;
  let den = 0;
  let unknown = 0;
  const names: string[] = [];
  const eco = ecosystemOf(r.language);
  for (const p of r.packages?.[h] ?? []) {
    if (p.source === "list" && isBuiltin(o.builtins, eco, p.name)) continue;
    if (p.verdict === "unknown") unknown++;
    const v = isHallucination(p.verdict, o.unknownAs);
    if (v === null) continue;
    den++;
    if (v) {
      num++;
      names.push(p.normalized);
    }
  }
  return { num, den, unknown, names };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const arr = m.get(k);
    if (arr) arr.push(it);
    else m.set(k, [it]);
  }
  return m;
}

function rateOf(records: EvalRecord[], heuristics: Heuristic[], o: MetricOptions): RateCI {
  const clusters = [...groupBy(records, (r) => `${r.dataset}|${r.promptId}`).values()].map((rs): Cluster => {
    let num = 0;
    let den = 0;
    for (const r of rs)
      for (const h of heuristics) {
        const x = hallucinatedOf(r, h, o);
        num += x.num;
        den += x.den;
      }
    return { num, den };
  });
  return clusteredBootstrap(clusters, { resamples: o.resamples, seed: o.seed });
}

function taskFit(records: EvalRecord[]): PackageGroup["taskFit"] {
  const withExpected = records.filter((r) => r.expected);
  if (withExpected.length === 0) return undefined;
  const per: Partial<Record<Heuristic, number>> = {};
  let any = 0;
  for (const h of HEURISTICS) {
    const asked = withExpected.filter((r) => r.packages?.[h] !== undefined);
    if (asked.length === 0) continue;
    const hits = asked.filter((r) => (r.packages?.[h] ?? []).some((p) => p.normalized === normalizeFor(ecosystemOf(r.language), r.expected!))).length;
    per[h] = hits / asked.length;
  }
  for (const r of withExpected) {
    const want = normalizeFor(ecosystemOf(r.language), r.expected!);
    if (HEURISTICS.some((h) => (r.packages?.[h] ?? []).some((p) => p.normalized === want))) any++;
  }
  return { any: any / withExpected.length, perHeuristic: per, records: withExpected.length };
}

export function packageGroup(key: Key, records: EvalRecord[], o: MetricOptions): PackageGroup {
  const perHeuristic: Partial<Record<Heuristic, RateCI>> = {};
  const used = HEURISTICS.filter((h) => records.some((r) => r.packages?.[h] !== undefined));
  for (const h of used) perHeuristic[h] = rateOf(records, [h], o);
  let unknown = 0;
  let withHalluc = 0;
  const unique = new Set<string>();
  let pt = 0;
  let ct = 0;
  const answers = { total: 0, withoutPackages: 0, blocked: 0 };
  for (const r of records) {
    let any = false;
    for (const h of used) {
      answers.total++;
      if ((r.packages?.[h]?.length ?? 0) === 0) answers.withoutPackages++;
      if (r.calls[h === "h1" ? "code" : h]?.finishReason === "content_filter") answers.blocked++;
      const x = hallucinatedOf(r, h, o);
      unknown += x.unknown;
      if (x.num > 0) any = true;
      for (const n of x.names) unique.add(`${r.language}:${n}`);
    }
    if (any) withHalluc++;
    for (const c of Object.values(r.calls)) {
      pt += c?.promptTokens ?? 0;
      ct += c?.completionTokens ?? 0;
    }
  }
  const g: PackageGroup = {
    model: key.model,
    profile: key.profile,
    temperature: key.temperature,
    dataset: key.dataset ?? "*",
    language: key.language ?? "*",
    records: records.length,
    prompts: new Set(records.map((r) => `${r.dataset}|${r.promptId}`)).size,
    rate: rateOf(records, used, o),
    perHeuristic,
    unknown,
    promptsWithHallucination: { count: withHalluc, share: records.length ? withHalluc / records.length : NaN },
    uniqueHallucinated: unique.size,
    tokens: { prompt: pt, completion: ct },
    answers,
    meanItemMs: records.length ? records.reduce((s, r) => s + r.ms, 0) / records.length : NaN,
  };
  const tf = taskFit(records);
  if (tf) g.taskFit = tf;
  return g;
}

export interface Persistence {
  model: string;
  profile: string;
  temperature: number;
  repeats: number;
  /** histogram[k]: hallucinated names of the first run that recurred in k of the other repeats. */
  histogram: number[];
  names: number;
  never: number;
  always: number;
}

/** The paper's Figure 5: for each name hallucinated in repeat 0, in how many later repeats it recurs. */
export function persistence(records: EvalRecord[], o: MetricOptions): Persistence[] {
  const out: Persistence[] = [];
  for (const [k, rs] of groupBy(records, (r) => `${r.model}|${r.profile}|${r.temperature}`)) {
    const repeats = Math.max(...rs.map((r) => r.repeat)) + 1;
    if (repeats < 2) continue;
    const counts: number[] = [];
    for (const prs of groupBy(rs, (r) => `${r.dataset}|${r.promptId}`).values()) {
      const sets = new Map<number, Set<string>>();
      for (const r of prs) sets.set(r.repeat, new Set(HEURISTICS.flatMap((h) => hallucinatedOf(r, h, o).names)));
      const first = sets.get(0);
      if (!first) continue;
      for (const name of first) {
        let c = 0;
        for (let i = 1; i < repeats; i++) if (sets.get(i)?.has(name)) c++;
        counts.push(c);
      }
    }
    const [model, profile, temp] = k.split("|");
    const hist = histogram(counts, repeats - 1);
    const total = counts.length;
    out.push({ model: model!, profile: profile!, temperature: Number(temp), repeats, histogram: hist, names: total, never: total ? hist[0]! / total : NaN, always: total ? hist[repeats - 1]! / total : NaN });
  }
  return out;
}

export interface DistanceStats {
  /** histogram[d]: unique hallucinated names whose nearest valid name is d edits away. */
  histogram: number[];
  names: number;
  within2: number;
  atLeast6: number;
  examples: { name: string; ecosystem: Ecosystem; nearest: string; distance: number }[];
}

export function uniqueHallucinations(records: EvalRecord[], o: MetricOptions): { eco: Ecosystem; name: string }[] {
  const seen = new Map<string, { eco: Ecosystem; name: string }>();
  for (const r of records)
    for (const h of HEURISTICS)
      for (const n of hallucinatedOf(r, h, o).names) {
        const eco = ecosystemOf(r.language);
        seen.set(`${eco}:${n}`, { eco, name: n });
      }
  return [...seen.values()].sort((a, b) => (a.eco + a.name < b.eco + b.name ? -1 : 1));
}

/** The paper's Figure 9, over unique hallucinated names. */
export function distances(records: EvalRecord[], index: NameIndex, o: MetricOptions): DistanceStats {
  const found: DistanceStats["examples"] = [];
  for (const { eco, name } of uniqueHallucinations(records, o)) {
    const near = index.nearest(eco, name);
    if (near) found.push({ name, ecosystem: eco, nearest: near.name, distance: near.distance });
  }
  const ds = found.map((f) => f.distance);
  const n = ds.length;
  return {
    histogram: histogram(ds),
    names: n,
    within2: n ? ds.filter((d) => d >= 1 && d <= 2).length / n : NaN,
    atLeast6: n ? ds.filter((d) => d >= 6).length / n : NaN,
    examples: found,
  };
}

/** Table 3: share of unique Python hallucinations that are valid npm names. */
export function crossLanguage(records: EvalRecord[], index: NameIndex, o: MetricOptions): { python: number; validNpm: number; share: number; names: string[] } {
  const py = uniqueHallucinations(records, o).filter((u) => u.eco === "pypi");
  const hits = py.filter((u) => index.has("npm", u.name.toLowerCase())).map((u) => u.name);
  return { python: py.length, validNpm: hits.length, share: py.length ? hits.length / py.length : NaN, names: hits };
}

export interface HumanEvalGroup {
  model: string;
  profile: string;
  temperature: number;
  dataset: string;
  tasks: number;
  samples: number;
  passAt1: number;
  sandbox: string;
}

export function humanevalGroups(records: EvalRecord[]): HumanEvalGroup[] {
  const out: HumanEvalGroup[] = [];
  for (const rs of groupBy(records, (r) => `${r.model}|${r.profile}|${r.temperature}|${r.dataset}`).values()) {
    const r0 = rs[0]!;
    const results = rs.map((r) => ({ task_id: r.promptId, passed: r.humaneval?.passed ?? false }));
    const modes = new Set(rs.map((r) => r.humaneval?.sandbox ?? "?"));
    out.push({ model: r0.model, profile: r0.profile, temperature: r0.temperature, dataset: r0.dataset, tasks: new Set(results.map((x) => x.task_id)).size, samples: rs.length, passAt1: passAtKOverTasks(results, 1), sandbox: [...modes].join("+") });
  }
  return out;
}

export interface Summary {
  generatedAt: string;
  unknownAs: EvalConfig["unknownAs"];
  records: number;
  failedItems: number;
  overall?: PackageGroup;
  byProfile: PackageGroup[];
  byLanguage: PackageGroup[];
  byDataset: PackageGroup[];
  persistence: Persistence[];
  distance?: DistanceStats;
  crossLanguage?: ReturnType<typeof crossLanguage>;
  temperatureSweep: { model: string; profile: string; points: { temperature: number; rate: number; lo: number; hi: number }[] }[];
  humaneval: HumanEvalGroup[];
}

function lexicographic(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * Sort keys for report rows. Records are written as items finish, so first appearance would order
 * rows by completion; the config's order (and datasets as they were first run) reads far better.
 */
function rowOrder(records: EvalRecord[], order: MetricOptions["order"]) {
  const seen = new Map<string, number>();
  for (const r of records) for (const k of [`d:${r.dataset}`, `l:${r.language}`, `m:${r.model}`, `p:${r.profile}`]) if (!seen.has(k)) seen.set(k, seen.size);
  const rank = (list: string[] | undefined, v: string, k: string) => {
    const i = list?.indexOf(v) ?? -1;
    return i >= 0 ? i : 1e6 + (seen.get(k) ?? 0);
  };
  const keys = (g: PackageGroup, by: "dataset" | "language" | null): number[] => [
    by === "dataset" ? (seen.get(`d:${g.dataset}`) ?? 0) : by === "language" ? (seen.get(`l:${g.language}`) ?? 0) : 0,
    rank(order?.models, g.model, `m:${g.model}`),
    rank(order?.profiles, g.profile, `p:${g.profile}`),
    g.temperature,
  ];
  return (groups: PackageGroup[], by: "dataset" | "language" | null): PackageGroup[] =>
    groups
      .map((g) => ({ g, k: keys(g, by) }))
      .sort((a, b) => lexicographic(a.k, b.k))
      .map((x) => x.g);
}

export function summarize(all: EvalRecord[], options: MetricOptions & { index?: NameIndex }): Summary {
  const ok = all.filter((r) => !r.error);
  const pkg = ok.filter((r) => r.kind === "package");
  const o = options;
  const groups = (key: (r: EvalRecord) => string, withDataset: boolean, withLanguage: boolean) =>
    [...groupBy(pkg, key).values()].map((rs) => {
      const r = rs[0]!;
      const k: Key = { model: r.model, profile: r.profile, temperature: r.temperature };
      if (withDataset) k.dataset = r.dataset;
      if (withLanguage) k.language = r.language;
      return packageGroup(k, rs, o);
    });
  const sorted = rowOrder(pkg, o.order);
  const byProfile = sorted(groups((r) => `${r.model}|${r.profile}|${r.temperature}`, false, false), null);
  const sweep = [...groupBy(byProfile, (g) => `${g.model}|${g.profile}`).values()].map((gs) => ({
    model: gs[0]!.model,
    profile: gs[0]!.profile,
    points: gs.map((g) => ({ temperature: g.temperature, rate: g.rate.rate, lo: g.rate.lo, hi: g.rate.hi })).sort((a, b) => a.temperature - b.temperature),
  }));
  const s: Summary = {
    generatedAt: new Date().toISOString(),
    unknownAs: o.unknownAs,
    records: ok.length,
    failedItems: all.length - ok.length,
    byProfile,
    byLanguage: sorted(groups((r) => `${r.model}|${r.profile}|${r.temperature}|${r.language}`, false, true), "language"),
    byDataset: sorted(groups((r) => `${r.model}|${r.profile}|${r.temperature}|${r.dataset}`, true, true), "dataset"),
    persistence: persistence(pkg, o),
    temperatureSweep: sweep.filter((x) => x.points.length > 1),
    humaneval: humanevalGroups(ok.filter((r) => r.kind === "humaneval")),
  };
  if (pkg.length) s.overall = packageGroup({ model: "*", profile: "*", temperature: NaN }, pkg, o);
  if (options.index && pkg.length) {
    s.distance = distances(pkg, options.index, o);
    s.crossLanguage = crossLanguage(pkg, options.index, o);
  }
  return s;
}
