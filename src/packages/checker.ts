/**
 * The PackageChecker: extraction → verdict (snapshot, then live registry) → risk
 * signals → report. The watchlist records every not_found and flags it if it exists later.
 */
import type { Watchlist } from "../state/types.js";
import { Allowlist } from "./allow.js";
import type { PackagesConfig } from "./config.js";
import { dedupe, extractPackages, type ExtractContext } from "./extract/index.js";
import { isValidName } from "./names.js";
import type { CheckOptions } from "./lookup-budget.js";
import type { LookupAllowance, RegistryClient, RegistryInfo } from "./registry.js";
import type { Popularity } from "./risk.js";
import type { Snapshot } from "./snapshot.js";
import { toolCallRaws } from "./toolcalls/index.js";
import { resolveToolSpecs } from "./toolcalls/config.js";
import type { CheckedPackage, CheckInput, CheckReport, Ecosystem, FoundPackage, PackageChecker, RiskSignal } from "./types.js";

export interface CheckerParts {
  config: PackagesConfig;
  snapshot: Snapshot;
  registry: RegistryClient;
  popularity: Popularity;
  watchlist: Watchlist;
  now: () => number;
}

const LEVEL: Record<RiskSignal["kind"], CheckedPackage["risk"]> = {
  watchlist: "high", typosquat: "medium", new: "medium", unpopular: "low", cross_ecosystem: "low",
};
const ORDER = ["none", "low", "medium", "high"] as const;
const RANK: Record<RiskSignal["kind"], number> = { watchlist: 0, typosquat: 1, new: 2, cross_ecosystem: 3, unpopular: 4 };

type Verdicted = Pick<CheckedPackage, "verdict" | "via"> & { info?: RegistryInfo };
/** What a check adds to a found package. */
type Judged = Omit<CheckedPackage, keyof FoundPackage>;

const LIMITED: Judged = { verdict: "unknown", via: "limit", risks: [], risk: "none" };
const ALLOWED: Judged = { verdict: "allowed", via: "allowlist", risks: [], risk: "none" };

export class Checker implements PackageChecker {
  private readonly ctx: ExtractContext;
  private readonly allow: Allowlist;

  constructor(private readonly parts: CheckerParts) {
    const { snapshot } = parts;
    this.ctx = {
      moduleToDist: snapshot.moduleToDist,
      pythonStdlib: snapshot.pythonStdlib,
      nodeBuiltins: snapshot.nodeBuiltins,
      onPypi: (n) => snapshot.pypi.names.has(n),
    };
    this.allow = new Allowlist(parts.config.allow);
  }

  /** Packages of the text, then of each tool call (each with its location). */
  extract(input: CheckInput): FoundPackage[] {
    const found = extractPackages(input, this.ctx);
    if (!input.toolCalls?.length) return found;
    const text = input.text ?? input.code;
    const raws = toolCallRaws(input.toolCalls, {
      ctx: this.ctx, specs: resolveToolSpecs(input.tools),
      ...(input.ecosystem ? { ecosystem: input.ecosystem } : {}), ...(text !== undefined ? { text } : {}),
    });
    return found.concat(dedupe(raws));
  }

  async check(input: CheckInput, options: CheckOptions = {}): Promise<CheckReport> {
    const t0 = performance.now();
    const found = this.extract(input);
    const { maxLookups, maxPackages } = this.parts.config;
    const budget: LookupAllowance = { left: maxLookups, ...(options.lookupBudget ? { perKey: options.lookupBudget } : {}) };
    // One judgement per package, shared by every place it was found (text, several calls);
    // past maxPackages distinct names nothing more is judged.
    const keyOf = (f: FoundPackage): string => `${f.ecosystem}:${f.normalized}`;
    const pending = new Map<string, Promise<Judged>>();
    for (const f of found) {
      const key = keyOf(f);
      if (!pending.has(key) && pending.size < maxPackages) pending.set(key, this.judge(f, budget, options.signal));
    }
    const judged = new Map<string, Judged>();
    const keys = [...pending.keys()];
    (await Promise.all(pending.values())).forEach((j, i) => judged.set(keys[i]!, j));
    const packages = found.map((f): CheckedPackage => ({ ...f, ...(judged.get(keyOf(f)) ?? LIMITED) }));
    return report(packages, performance.now() - t0);
  }

  private async judge(f: FoundPackage, budget: LookupAllowance, signal?: AbortSignal): Promise<Judged> {
    if (this.allow.has(f.ecosystem, f.name)) return ALLOWED;
    const { verdict, via, risks, risk, suggestion, registry } = await this.checkOne(f, budget, signal);
    return { verdict, via, risks, risk, ...(suggestion ? { suggestion } : {}), ...(registry ? { registry } : {}) };
  }

  private async checkOne(f: FoundPackage, budget: LookupAllowance, signal?: AbortSignal): Promise<CheckedPackage> {
    if (f.ecosystem === "conda") return { ...f, verdict: "unknown", via: "offline", risks: [], risk: "none" };
    const eco = f.ecosystem;
    const v = await this.verdict(eco, f, budget, signal);
    const risks: RiskSignal[] = [];
    let suggestion: string | undefined;
    if (v.via === "limit") return { ...f, ...LIMITED };
    if (v.verdict === "not_found") {
      if (isValidName(eco, f.name)) this.record(eco, f.normalized);
      const other: Ecosystem = eco === "pypi" ? "npm" : "pypi";
      if (this.inSnapshot(other, f.name)) risks.push({ kind: "cross_ecosystem", detail: `not on ${eco}, but '${f.name}' is an ${other} package` });
      suggestion = this.parts.popularity.suggest(eco, f.normalized);
    } else if (v.verdict === "exists") {
      for (const r of await this.risks(eco, f, v)) risks.push(r);
      suggestion = risks.find((r) => r.kind === "typosquat")?.similarTo;
    } else {
      suggestion = this.parts.popularity.suggest(eco, f.normalized);
    }
    risks.sort((a, b) => RANK[a.kind] - RANK[b.kind]);
    const base = v.verdict === "not_found" ? 3 : 0;
    const level = risks.reduce((m, r) => Math.max(m, ORDER.indexOf(LEVEL[r.kind])), base);
    const out: CheckedPackage = { ...f, verdict: v.verdict, via: v.via, risks, risk: ORDER[level]! };
    if (suggestion) out.suggestion = suggestion;
    if (v.info && Object.keys(v.info).length) out.registry = v.info;
    return out;
  }

  private readonly pending = new Set<Promise<void>>();

  /** Recording must not delay the answer (a commit is an fsync); close() waits for it. */
  private record(eco: Ecosystem, name: string): void {
    const p = this.parts.watchlist
      .recordNotFound(eco, name)
      .catch((err: unknown) => console.error(`watchlist: could not record ${eco}:${name}: ${(err as Error).message}`))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for watchlist writes started by earlier checks. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private inSnapshot(eco: Ecosystem, name: string): boolean {
    const s = this.parts.snapshot;
    return eco === "pypi" ? isValidName("pypi", name) && s.pypi.names.has(name.replace(/[-_.]+/g, "-").toLowerCase()) : s.npm.names.has(name);
  }

  private async verdict(eco: Ecosystem, f: FoundPackage, budget: LookupAllowance, signal?: AbortSignal): Promise<Verdicted> {
    if (!isValidName(eco, f.name)) return { verdict: "not_found", via: "snapshot" };
    if (this.inSnapshot(eco, f.name)) return { verdict: "exists", via: "snapshot" };
    const { config, registry } = this.parts;
    const askLive = config.mode === "live" && (eco === "npm" || config.recheckPypiMisses);
    if (askLive) {
      const r = await registry.lookup(eco, f.name, signal, budget);
      if (r.via === "limit") return { verdict: "unknown", via: "limit" };
      if (r.status !== "unknown") return r.info ? { verdict: r.status, via: r.via, info: r.info } : { verdict: r.status, via: r.via };
    }
    // The PyPI snapshot is the whole index as of its date, so a miss there is a verdict;
    // the npm one holds only popular packages, so a miss is only "unknown".
    return eco === "pypi" ? { verdict: "not_found", via: "snapshot" } : { verdict: "unknown", via: "offline" };
  }

  private async risks(eco: Ecosystem, f: FoundPackage, v: Verdicted): Promise<RiskSignal[]> {
    const { popularity, watchlist, config, now } = this.parts;
    const out: RiskSignal[] = [];
    const seen = await watchlist.get(eco, f.normalized);
    if (seen) {
      out.push({ kind: "watchlist", detail: `reported as not found ${seen.timesSeen}× since ${seen.firstSeenNotFound}, exists now` });
    }
    const typo = popularity.typosquat(eco, f.normalized);
    if (typo) out.push(typo);
    const first = v.info?.firstPublished ? Date.parse(v.info.firstPublished) : NaN;
    const ageDays = (now() - first) / 86_400_000;
    if (ageDays < config.risk.newDays) out.push({ kind: "new", detail: `first published ${v.info!.firstPublished} (${Math.max(0, Math.floor(ageDays))} days ago)` });
    if (eco === "npm") {
      const d = popularity.npmDownloads(f.name);
      if (d === undefined) out.push({ kind: "unpopular", detail: "not among npm packages with ~500+ downloads a month" });
      else if (d < config.risk.unpopularDownloads) out.push({ kind: "unpopular", detail: `${d} downloads a month` });
    }
    return out;
  }
}

function report(packages: CheckedPackage[], durationMs: number): CheckReport {
  const totals = { packages: packages.length, exists: 0, not_found: 0, unknown: 0, risky: 0, allowed: 0 };
  let incomplete = false;
  for (const p of packages) {
    if (p.verdict === "exists") totals.exists++;
    else if (p.verdict === "not_found") totals.not_found++;
    else if (p.verdict === "unknown") totals.unknown++;
    else totals.allowed++;
    if (p.verdict === "exists" && (p.risk === "medium" || p.risk === "high")) totals.risky++;
    if (p.via === "limit") incomplete = true;
  }
  const verdict = packages.length === 0 ? "none" : totals.not_found > 0 ? "hallucination" : totals.risky > 0 ? "risk" : "clean";
  return { packages, totals, verdict, incomplete, durationMs };
}
