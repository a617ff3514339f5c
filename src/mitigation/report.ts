/**
 * The `slopguard` report every answer carries (a JSON field, a stream's last event)
 * and the matching response headers. It is built from the records the mitigations
 * returned: verify's record carries the check of the delivered answer, self-refine's
 * the check of the model's first answer.
 */
import type { CheckReport, CheckedPackage } from "../packages/types.js";
import type { VerifyPolicy } from "./config.js";
import type { MitigationContext, MitigationRecord } from "./types.js";

export type AnswerVerdict = CheckReport["verdict"] | "unchecked";
export type VerifyAction = "annotated" | "blocked" | "repaired";

/** What verify puts in its record's data (the report is derived from it). */
export interface VerifyData {
  policy: VerifyPolicy;
  action: VerifyAction;
  check?: CheckReport;
  error?: string;
  /** Parts the client did not get, and why. */
  withheld?: Withheld[];
  [key: string]: unknown;
}

export interface Withheld {
  kind: "code" | "install" | "list" | "line" | "text" | "tool-call";
  /** `with_answer`: nothing wrong with it, but another call of the same answer was withheld. */
  reason: "not_found" | "high_risk" | "unverified" | "unchecked" | "with_answer";
  packages: string[];
  tool?: string;
  toolCallId?: string;
}

export type ReportPackage = Pick<CheckedPackage, "name" | "ecosystem" | "verdict" | "risk" | "risks" | "source" | "line"> & {
  suggestion?: string;
  location?: CheckedPackage["location"];
};

export interface SlopguardReport {
  request_id: string;
  profile: string;
  policy: VerifyPolicy;
  /** What the model answered, as checked: clean, hallucination, risk, none (no package), or unchecked when the check failed. */
  verdict: AnswerVerdict;
  action: VerifyAction;
  /** Verdict on the model's first answer when a mitigation regenerated it. */
  model_verdict?: AnswerVerdict;
  model_totals?: CheckReport["totals"];
  totals: CheckReport["totals"];
  packages: ReportPackage[];
  withheld?: Withheld[];
  mitigations: MitigationRecord[];
  error?: string;
}

const EMPTY_TOTALS: CheckReport["totals"] = { packages: 0, exists: 0, not_found: 0, unknown: 0, risky: 0, allowed: 0 };

/** The first-answer check self-refine leaves in its record. */
export function modelCheckOf(records: readonly MitigationRecord[]): CheckReport | undefined {
  return records.find((r) => r.module === "self-refine")?.data?.model_check as CheckReport | undefined;
}

export function buildReport(args: { ctx: Pick<MitigationContext, "requestId" | "profile">; records: readonly MitigationRecord[] }): SlopguardReport {
  const verify = args.records.find((r) => r.module === "verify");
  const data = (verify?.data ?? { policy: "annotate", action: "annotated" }) as VerifyData;
  const report = data.check;
  const modelReport = modelCheckOf(args.records);
  return {
    request_id: args.ctx.requestId,
    profile: args.ctx.profile,
    policy: data.policy,
    verdict: report?.verdict ?? "unchecked",
    action: data.action,
    ...(modelReport ? { model_verdict: modelReport.verdict, model_totals: modelReport.totals } : {}),
    totals: report?.totals ?? EMPTY_TOTALS,
    packages: (report?.packages ?? []).map(reportPackage),
    ...(data.withheld?.length ? { withheld: data.withheld } : {}),
    mitigations: args.records.map(slim),
    ...(data.error ? { error: data.error } : {}),
  };
}

function reportPackage(p: CheckedPackage): ReportPackage {
  return {
    name: p.name,
    ecosystem: p.ecosystem,
    verdict: p.verdict,
    risk: p.risk,
    risks: p.risks,
    ...(p.suggestion ? { suggestion: p.suggestion } : {}),
    source: p.source,
    line: p.line,
    ...(p.location ? { location: p.location } : {}),
  };
}

/** Records as the client sees them: the checks themselves are in the report already. */
function slim(r: MitigationRecord): MitigationRecord {
  if (!r.data || !("check" in r.data || "model_check" in r.data || "withheld" in r.data)) return r;
  const { check: _c, model_check: _m, withheld: _w, ...data } = r.data;
  return { ...r, data };
}

export function reportHeaders(r: SlopguardReport): Record<string, string> {
  return {
    "X-Slopguard-Verdict": r.verdict,
    "X-Slopguard-Action": r.action,
    "X-Slopguard-Profile": r.profile,
    "X-Slopguard-Packages": String(r.totals.packages),
    "X-Slopguard-Hallucinated": String(r.totals.not_found),
    "X-Slopguard-Risky": String(r.totals.risky),
    ...(r.model_verdict ? { "X-Slopguard-Model-Verdict": r.model_verdict } : {}),
  };
}

/** One "- name (ecosystem): reason; did you mean x?" line per bad package. */
export function describeBad(bad: readonly CheckedPackage[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const p of bad) {
    const key = `${p.ecosystem}:${p.normalized}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const why = p.verdict === "not_found" ? "does not exist in the registry" : p.verdict === "unknown" ? "could not be verified (not in the offline snapshot, and no live registry answered)" : (p.risks[0]?.detail ?? "high risk");
    const hint = p.suggestion ? `; did you mean ${p.suggestion}?` : "";
    lines.push(`- ${p.name} (${p.ecosystem}): ${why}${hint}`);
  }
  return lines.join("\n");
}

/**
 * Packages a client must not install: absent from the registry, or high risk (e.g. watchlist);
 * with `unknown`, also the ones nobody could verify (an npm name outside the partial snapshot
 * when no live registry answered), which a blocking policy treats as unchecked.
 */
export function badPackages(report: CheckReport, options: { unknown?: boolean } = {}): CheckedPackage[] {
  return report.packages.filter((p) => p.verdict === "not_found" || p.risk === "high" || (options.unknown === true && p.verdict === "unknown" && p.ecosystem !== "conda"));
}
