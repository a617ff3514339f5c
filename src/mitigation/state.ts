/**
 * Per-request state shared by this folder's modules without widening the public
 * MitigationContext: self-refine leaves its first-round report (the answer "at the
 * model", before repair) and its last check for verify to reuse.
 */
import type { CheckInput, CheckReport, Ecosystem, PackageChecker } from "../packages/types.js";
import type { MitigationContext } from "./types.js";
import { withTimeout } from "./chat.js";

export interface RequestState {
  /** Report on the model's first answer, before any regeneration. */
  modelReport?: CheckReport;
  /** Last text checked and its report; verify skips a second check of the same text. */
  lastCheck?: { text: string; report: CheckReport };
}

const states = new WeakMap<MitigationContext, RequestState>();

export function stateOf(ctx: MitigationContext): RequestState {
  let s = states.get(ctx);
  if (!s) states.set(ctx, (s = {}));
  return s;
}

export async function checkText(args: {
  checker: PackageChecker;
  text: string;
  ecosystem: Ecosystem | undefined;
  /** The prompt asked for a package list (see `asksForList`). */
  expectList?: boolean;
  ctx: MitigationContext;
  timeoutMs: number;
}): Promise<CheckReport> {
  const { checker, text, ecosystem, expectList, ctx, timeoutMs } = args;
  const state = stateOf(ctx);
  if (state.lastCheck?.text === text) return state.lastCheck.report;
  const input: CheckInput = { text, ...(ecosystem ? { ecosystem } : {}), ...(expectList ? { expectList } : {}) };
  const report = await withTimeout(checker.check(input, { signal: ctx.signal }), timeoutMs, "package check");
  state.lastCheck = { text, report };
  return report;
}

/** Packages a client must not install: absent from the registry, or high risk (e.g. watchlist). */
export function badPackages(report: CheckReport) {
  return report.packages.filter((p) => p.verdict === "not_found" || p.risk === "high");
}
