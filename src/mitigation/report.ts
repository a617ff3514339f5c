/** The `slopguard` object added to responses, and the matching response headers. */
import type { CheckReport, CheckedPackage } from "../packages/types.js";
import type { MitigationContext, MitigationRecord } from "./types.js";
import type { VerifyPolicy } from "./config.js";

export type AnswerVerdict = CheckReport["verdict"] | "unchecked";
export type VerifyAction = "annotated" | "blocked" | "repaired";

export interface SlopguardReport {
  request_id: string;
  profile: string;
  policy: VerifyPolicy;
  /** What the client received: clean, hallucination, risk, or unchecked when the check failed. */
  verdict: AnswerVerdict;
  action: VerifyAction;
  /** Verdict on the model's first answer when a mitigation regenerated it. */
  model_verdict?: AnswerVerdict;
  /** Package totals of the model's first answer, when it was regenerated. */
  model_totals?: CheckReport["totals"];
  totals: CheckReport["totals"];
  packages: Array<{
    name: string;
    ecosystem: string;
    verdict: CheckedPackage["verdict"];
    risk: CheckedPackage["risk"];
    risks: CheckedPackage["risks"];
    suggestion?: string;
    source: CheckedPackage["source"];
    line: number;
  }>;
  mitigations: MitigationRecord[];
  error?: string;
}

const EMPTY_TOTALS: CheckReport["totals"] = { packages: 0, exists: 0, not_found: 0, unknown: 0, risky: 0, allowed: 0 };

export function buildReport(args: {
  ctx: MitigationContext;
  policy: VerifyPolicy;
  report: CheckReport | undefined;
  modelReport: CheckReport | undefined;
  action: VerifyAction;
  error?: string;
}): SlopguardReport {
  const { ctx, report } = args;
  return {
    request_id: ctx.requestId,
    profile: ctx.profile,
    policy: args.policy,
    verdict: report?.verdict ?? "unchecked",
    action: args.action,
    ...(args.modelReport ? { model_verdict: args.modelReport.verdict, model_totals: args.modelReport.totals } : {}),
    totals: report?.totals ?? EMPTY_TOTALS,
    packages: (report?.packages ?? []).map((p) => ({
      name: p.name,
      ecosystem: p.ecosystem,
      verdict: p.verdict,
      risk: p.risk,
      risks: p.risks,
      ...(p.suggestion ? { suggestion: p.suggestion } : {}),
      source: p.source,
      line: p.line,
    })),
    mitigations: ctx.records,
    ...(args.error ? { error: args.error } : {}),
  };
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

export function describeBad(bad: CheckedPackage[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const p of bad) {
    const key = `${p.ecosystem}:${p.normalized}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const why = p.verdict === "not_found" ? "does not exist in the registry" : (p.risks[0]?.detail ?? "high risk");
    const hint = p.suggestion ? `; did you mean ${p.suggestion}?` : "";
    lines.push(`- ${p.name} (${p.ecosystem}): ${why}${hint}`);
  }
  return lines.join("\n");
}
