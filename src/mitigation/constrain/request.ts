/**
 * The contract between the `constrain` mitigation and a provider that decodes locally, as
 * values in both directions: the mitigation puts a plain `ConstrainRequest` (core/parts.ts)
 * on the call; the provider starts a tracker per generation (`startTracking`) and returns
 * what it did as the answer's `metadata.constrain`, which the mitigation parses here.
 * Nothing is shared through a mutable object.
 */
import { z } from "zod";
import type { ConstrainRequest } from "../../core/parts.js";
import type { NameLists } from "./names.js";
import { Tracker } from "./tracker.js";

const count = z.number().int().min(0);

/** One constrained generation's report, as the provider returns it in `metadata.constrain`. */
export const ConstrainReportSchema = z.strictObject({
  /** Tokens the generation committed. */
  tokens: count,
  /** Tokens sampled inside a name construct (checked against the lists). */
  constrainedTokens: count,
  /** Tokens that would have broken a name and were sampled again under the bias. */
  resamples: count,
  /** Names the model wrote inside constrained constructs, as written (64 at most). */
  names: z.array(z.string().max(256)).max(64),
  /** Names broken anyway (the decoder gave up on a state with no allowed token). */
  leaks: count,
  /** The answer stopped inside an unfinished name (max_tokens, a stop sequence): decoding ended before it could. */
  cut: count,
  /** States with no allowed token, decoded freely. */
  giveUps: count,
  /** Time spent deciding token biases, in ms. */
  ms: z.number().min(0),
  /** `resample` (check each sampled token) or `always` (bias before each token in a name: a grammar is active). */
  strategy: z.enum(["resample", "always"]),
});
export type ConstrainReport = z.infer<typeof ConstrainReportSchema>;

/** The key of the constrain report in a Generation's (or finish part's) `metadata`. */
export const REPORT_KEY = "constrain";

export function emptyReport(strategy: ConstrainReport["strategy"] = "resample"): ConstrainReport {
  return { tokens: 0, constrainedTokens: 0, resamples: 0, names: [], leaks: 0, cut: 0, giveUps: 0, ms: 0, strategy };
}

/** The report in an answer's metadata; an error message when it is missing or malformed. */
export function reportIn(metadata: Record<string, unknown> | undefined): { report: ConstrainReport } | { error: string } {
  const raw = metadata?.[REPORT_KEY];
  if (raw === undefined) return { error: "the provider returned no constrained-decoding report" };
  const parsed = ConstrainReportSchema.safeParse(raw);
  return parsed.success ? { report: parsed.data } : { error: `malformed constrained-decoding report: ${parsed.error.issues[0]?.message ?? "invalid"}` };
}

/** A tracker for one generation, from the lists the provider resolved for this request. */
export function startTracking(lists: NameLists, request: ConstrainRequest): Tracker {
  return new Tracker({ lists, options: request, ecosystem: request.ecosystem, expectList: request.list });
}
