/**
 * The checks verify runs: the whole answer (text and tool calls), for the report, and
 * one held piece of a stream, for the decision to release it. Both have a deadline and
 * never throw: a failure is a value, so the policy decides what it means (annotate
 * reports `unchecked`; block withholds).
 */
import type { ToolCallPart } from "../../core/parts.js";
import type { CheckInput, CheckReport, CheckedPackage, Ecosystem, PackageChecker } from "../../packages/types.js";
import type { ToolSpecsInput } from "../../packages/toolcalls/config.js";
import { withTimeout } from "../prompt.js";
import { badPackages } from "../report.js";
import type { Piece } from "./segments.js";
import type { LookupBudget } from "../../packages/lookup-budget.js";

export interface CheckScope {
  checker: PackageChecker;
  ecosystem: Ecosystem | undefined;
  expectList: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  lookupBudget?: LookupBudget | undefined;
  /** The model's tool specs (config `models[].tools`), merged over the shipped defaults by the checker. */
  tools?: ToolSpecsInput;
  /** A text completion (`/v1/completions`): the answer is code, of this language when known. */
  code?: { language?: string };
}

export type Checked = { report: CheckReport; ms: number } | { error: string; ms: number };

async function run(scope: CheckScope, input: CheckInput): Promise<Checked> {
  const t0 = performance.now();
  // A completion's text is code without fences: read as code of the file's language, not as markdown.
  const { text, ...rest } = input;
  const asCode = scope.code && text !== undefined ? { code: text, ...(scope.code.language ? { language: scope.code.language } : {}) } : text !== undefined ? { text } : {};
  const full: CheckInput = {
    ...rest,
    ...asCode,
    ...(scope.ecosystem ? { ecosystem: scope.ecosystem } : {}),
    ...(scope.tools !== undefined ? { tools: scope.tools } : {}),
  };
  try {
    const report = await withTimeout(scope.checker.check(full, { signal: scope.signal, lookupBudget: scope.lookupBudget }), scope.timeoutMs, "package check");
    return { report, ms: performance.now() - t0 };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err), ms: performance.now() - t0 };
  }
}

export function checkAnswer(scope: CheckScope, text: string, calls: readonly ToolCallPart[]): Promise<Checked> {
  return run(scope, {
    text,
    ...(calls.length ? { toolCalls: calls.map((c) => ({ id: c.id, name: c.name, input: c.input })) } : {}),
    ...(scope.expectList ? { expectList: true } : {}),
  });
}

/** What a held piece names: its bad packages, or `unchecked` when it could not be checked. */
export type PieceVerdict = { ok: true } | { ok: false; bad: CheckedPackage[]; unchecked?: string };

export async function checkPiece(scope: CheckScope, piece: Extract<Piece, { kind: "held" }>, options: { blockUnknown: boolean }): Promise<PieceVerdict> {
  // The context lines come first, as in the whole answer; only packages on the piece's own lines count.
  const context = piece.context && !piece.context.endsWith("\n") ? `${piece.context}\n` : piece.context;
  const contextLines = context.split("\n").length - 1;
  const checked = await run(scope, { text: context + piece.text, ...(piece.segment === "list" && scope.expectList ? { expectList: true } : {}) });
  if ("error" in checked) return { ok: false, bad: [], unchecked: checked.error };
  const own = checked.report.packages.filter((p) => p.line > contextLines);
  const bad = badPackages({ ...checked.report, packages: own }, { unknown: options.blockUnknown });
  const limited = own.filter(isUnsettled);
  if (limited.length) return { ok: false, bad, unchecked: `${limited.length} package(s) were not looked up (lookup limit)` };
  return bad.length ? { ok: false, bad } : { ok: true };
}

/** A package the checker gave up on (its per-check lookup limit): fail-closed policies treat it as unchecked. */
export function isUnsettled(p: CheckedPackage): boolean {
  return p.via === "limit";
}
