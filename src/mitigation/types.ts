/**
 * The mitigation contract: composable middleware around a provider's generate and
 * stream calls, after the AI SDK's `wrapLanguageModel` (transformParams /
 * wrapGenerate / wrapStream). Mitigations see only provider-neutral parts
 * (src/core/parts.ts), never a wire format.
 *
 * Every hook returns its result as a value, after Portkey's plugin contract
 * `{verdict, data, transformedData}`: an `Outcome`. The composer (compose.ts) turns
 * outcomes into records and hands them outwards with the answer, so an outer module
 * reads what an inner one did (verify reads self-refine's first-answer report) without
 * any shared mutable state.
 */
import type { Generation, ModelCall, StreamPart, WireApi } from "../core/parts.js";
import type { ModelConfig } from "../config/schema.js";
import type { Ecosystem } from "../packages/types.js";
import type { LookupBudget } from "../packages/lookup-budget.js";

export type MitigationVerdict = "pass" | "modified" | "flagged" | "blocked" | "error";

/** What a hook returns: its verdict, what it wants reported, and what it changed. */
export interface Outcome<T> {
  verdict: MitigationVerdict;
  data?: Record<string, unknown>;
  /** The replacement (call or answer); absent when the module left it as it was. */
  transformed?: T;
}

export interface MitigationRecord {
  module: string;
  verdict: MitigationVerdict;
  data?: Record<string, unknown>;
  durationMs: number;
}

/** What the layer inside returns: the answer and the records of every module inside, innermost first. */
export interface Answer {
  generation: Generation;
  records: MitigationRecord[];
}

/** A module's record travelling outwards in a stream, after the answer's own parts. */
export interface RecordPart {
  type: "record";
  record: MitigationRecord;
}
export type GuardPart = StreamPart | RecordPart;

/** Read-only facts about the request. */
export interface MitigationContext {
  readonly requestId: string;
  readonly model: ModelConfig;
  readonly profile: string;
  readonly signal: AbortSignal;
  /** The API the client spoke (metrics, and where a module must know the wire form). */
  readonly api: WireApi;
  /** Set by the request or the model config; otherwise modules detect it from the prompt. */
  readonly ecosystem?: Ecosystem;
  /** The API key's budget of live registry lookups: every package check of the request runs within it. */
  readonly lookupBudget?: LookupBudget;
}

export type DoGenerate = (call: ModelCall) => Promise<Answer>;
export type DoStream = (call: ModelCall) => AsyncIterable<GuardPart>;

export interface Mitigation {
  readonly name: string;
  /** Before the call: add context (RAG), clamp sampling, pick an adapter. */
  transformCall?(args: { call: ModelCall; ctx: MitigationContext }): Promise<Outcome<ModelCall>>;
  /** Around a whole answer: `transformed` replaces the answer of the last inner call. */
  wrapGenerate?(args: { doGenerate: DoGenerate; call: ModelCall; ctx: MitigationContext }): Promise<Outcome<Generation>>;
  /**
   * Around a stream: yields the parts the client should see (inner records included,
   * passed on unchanged) and returns its outcome when the stream ends.
   */
  wrapStream?(args: { doStream: DoStream; call: ModelCall; ctx: MitigationContext }): AsyncGenerator<GuardPart, Outcome<never>>;
}
