/**
 * What the `constrain` mitigation hands a provider that decodes locally, and what the
 * provider reports back. The provider calls `startTracking(request, params)` once per
 * generation and feeds it the text of every generated token (see
 * src/providers/local/constrain/session.ts); the report is read by the mitigation after
 * the answer is complete.
 */
import type { ChatRequest } from "../../api/schema.js";
import type { Ecosystem } from "../../packages/types.js";
import { asksForList } from "../chat.js";
import type { ConstrainOptions } from "./config.js";
import type { NameLists } from "./names.js";
import { Tracker } from "./tracker.js";

export interface ConstrainReport {
  /** Generations of this request that were constrained (self-refine makes several). */
  generations: number;
  tokens: number;
  /** Tokens sampled inside a name construct (checked against the lists). */
  constrainedTokens: number;
  /** Tokens that would have broken a name and were sampled again under the bias. */
  resamples: number;
  /** Names the model wrote inside constrained constructs. */
  names: string[];
  /** Names broken anyway (the decoder gave up on a state with no allowed token, or text came unconstrained). */
  leaks: number;
  /** Answers that stopped inside an unfinished name (max_tokens, a stop sequence): decoding ended before it could. */
  cut: number;
  giveUps: number;
  /** Time spent deciding token biases. */
  ms: number;
}

export interface ConstrainRequest {
  readonly lists: NameLists;
  readonly options: ConstrainOptions;
  readonly ecosystem: Ecosystem | undefined;
  readonly report: ConstrainReport;
}

export function emptyReport(): ConstrainReport {
  return { generations: 0, tokens: 0, constrainedTokens: 0, resamples: 0, names: [], leaks: 0, cut: 0, giveUps: 0, ms: 0 };
}

/** A tracker for one generation; `params` is that generation's request (its prompt decides list mode). */
export function startTracking(request: ConstrainRequest, params: Pick<ChatRequest, "messages">): Tracker {
  return new Tracker({
    lists: request.lists,
    options: request.options,
    ecosystem: request.ecosystem,
    expectList: asksForList(params as ChatRequest),
  });
}
