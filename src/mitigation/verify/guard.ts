/**
 * The answer guard: what verify does to an answer, JSON or stream (a JSON answer is
 * replayed through it as one stream). Under `annotate` everything passes through and
 * the answer is checked once at the end. Under `block`:
 * - text streams as it comes, except the pieces that may name a package (segments.ts),
 *   which are held until complete, checked, and released or replaced by a notice;
 * - tool calls are held until the answer ends (agents act only on complete answers),
 *   checked together, and released together or all withheld: an agent must not run
 *   half of a plan. A withheld call becomes a text notice and the answer ends with
 *   `stop`, so the agent stops instead of running anything.
 * `failClosed` (block and repair) withholds whatever could not be checked.
 */
import type { FinishReason, StreamPart, ToolCallPart } from "../../core/parts.js";
import { isStreamPart } from "../../core/stream.js";
import type { CheckReport } from "../../packages/types.js";
import { badPackages, describeBad, type Withheld } from "../report.js";
import { render, type Templates } from "../templates.js";
import type { GuardPart } from "../types.js";
import { checkAnswer, checkPiece, isUnsettled, type CheckScope, type Checked } from "./check.js";
import { Segmenter, type Piece } from "./segments.js";

export interface GuardPolicy {
  /** Text that names a bad package. */
  text: "annotate" | "block";
  /** Tool calls that would install a bad package. */
  calls: "annotate" | "block";
  /** Withhold what could not be checked. */
  failClosed: boolean;
  /** Treat packages nobody could verify (`unknown`) as bad where the policy blocks. */
  blockUnknown: boolean;
}

export interface GuardResult {
  check: Checked;
  withheld: Withheld[];
  calls: ToolCallPart[];
  heldPieces: number;
  /** First text released minus first text received, when text was held. */
  holdDelayMs?: number;
}

const KIND_WORD = { fence: "code block", install: "install command", code: "line of code", list: "answer" } as const;

export async function* guard(args: {
  inner: AsyncIterable<GuardPart>;
  scope: CheckScope;
  policy: GuardPolicy;
  templates: Templates;
  onHeld?: (kind: string) => void;
}): AsyncGenerator<GuardPart, GuardResult> {
  const { scope, policy, templates } = args;
  const holdText = policy.text === "block" || policy.failClosed;
  const holdCalls = policy.calls === "block" || policy.failClosed;
  const withheld: Withheld[] = [];
  const calls: ToolCallPart[] = [];
  const callById = new Map<string, ToolCallPart>();
  const heldCallParts: StreamPart[] = [];
  const segmenters = new Map<string, Segmenter>();
  let text = "";
  let heldPieces = 0;
  let firstIn: number | undefined;
  let firstOut: number | undefined;
  let result: GuardResult | undefined;

  const release = async function* (id: string, pieces: Piece[]): AsyncGenerator<StreamPart> {
    for (const piece of pieces) {
      let out = piece.text;
      if (piece.kind === "held") {
        heldPieces++;
        args.onHeld?.(piece.segment);
        const v = await checkPiece(scope, piece, policy);
        const withhold = !v.ok && ((v.unchecked !== undefined && policy.failClosed) || (v.bad.length > 0 && policy.text === "block"));
        if (!v.ok && withhold) {
          withheld.push({ kind: piece.segment === "fence" ? "code" : piece.segment, reason: v.unchecked !== undefined ? "unchecked" : reasonOf(v.bad), packages: v.bad.map((p) => p.name) });
          out = notice(templates, piece, v.bad, v.unchecked);
        }
      }
      if (!out) continue;
      firstOut ??= performance.now();
      yield { type: "text-delta", id, delta: out };
    }
  };

  for await (const part of args.inner) {
    if (!isStreamPart(part)) {
      yield part; // records of inner modules travel on
      continue;
    }
    switch (part.type) {
      case "text-start":
        if (holdText) segmenters.set(part.id, new Segmenter());
        yield part;
        break;
      case "text-delta": {
        text += part.delta;
        firstIn ??= performance.now();
        const seg = segmenters.get(part.id);
        if (seg) yield* release(part.id, seg.push(part.delta));
        else yield part;
        break;
      }
      case "text-end": {
        const seg = segmenters.get(part.id);
        if (seg) yield* release(part.id, seg.end());
        segmenters.delete(part.id);
        yield part;
        break;
      }
      case "tool-call-start": {
        const call: ToolCallPart = { type: "tool-call", id: part.id, name: part.name, input: "", kind: part.kind };
        calls.push(call);
        callById.set(part.id, call);
        if (holdCalls) heldCallParts.push(part);
        else yield part;
        break;
      }
      case "tool-call-delta": {
        const call = callById.get(part.id);
        if (call) call.input += part.delta;
        if (holdCalls) heldCallParts.push(part);
        else yield part;
        break;
      }
      case "tool-call-end":
        if (holdCalls) heldCallParts.push(part);
        else yield part;
        break;
      case "finish": {
        const check = await checkAnswer(scope, text, calls);
        let finishReason: FinishReason = part.finishReason;
        let callsWithheld = false;
        if (heldCallParts.length) {
          const refused = refusedCalls(check, calls, policy);
          if (refused) {
            withheld.push(...refused.withheld);
            yield* callNotice(templates, refused.text);
            callsWithheld = true;
          } else yield* heldCallParts;
        }
        // Withheld calls end the turn ("stop": an agent stops instead of running anything); withheld text is filtered content.
        if (callsWithheld) finishReason = "stop";
        else if (withheld.length) finishReason = "content-filter";
        yield { ...part, finishReason };
        const holdDelayMs = holdText && firstIn !== undefined && firstOut !== undefined ? firstOut - firstIn : undefined;
        // Inner modules' records follow the finish part; they travel on before this guard returns.
        result = { check, withheld, calls, heldPieces, ...(holdDelayMs !== undefined ? { holdDelayMs } : {}) };
        break;
      }
      default:
        yield part;
    }
  }
  if (!result) throw new Error("the answer ended without a finish part");
  return result;
}

function reasonOf(bad: ReadonlyArray<{ verdict: string; risk: string }>): Withheld["reason"] {
  if (bad.some((p) => p.verdict === "not_found")) return "not_found";
  return bad.some((p) => p.risk === "high") ? "high_risk" : "unverified";
}

function notice(templates: Templates, piece: Extract<Piece, { kind: "held" }>, bad: Parameters<typeof describeBad>[0], unchecked: string | undefined): string {
  const kind = KIND_WORD[piece.segment];
  const body = unchecked !== undefined
    ? render(templates["verify.unchecked"], { kind, error: unchecked })
    : render(piece.segment === "list" ? templates["verify.blocked"] : templates["verify.withheld"], { kind, packages: describeBad(bad) });
  return piece.text.endsWith("\n") && !body.endsWith("\n") ? `${body}\n` : body;
}

/** Whether the answer's tool calls must be withheld, and the notice that replaces them. */
function refusedCalls(check: Checked, calls: readonly ToolCallPart[], policy: GuardPolicy): { withheld: Withheld[]; text: string } | undefined {
  if ("error" in check) {
    if (!policy.failClosed) return undefined;
    return {
      withheld: calls.map((c) => ({ kind: "tool-call", reason: "unchecked", packages: [], tool: c.name, toolCallId: c.id })),
      text: calls.map((c) => `- ${c.name}: ${excerpt(c.input)}\n  could not be checked: ${check.error}`).join("\n"),
    };
  }
  const inCalls = check.report.packages.filter((p) => p.location);
  const bad = policy.calls === "block" ? badPackages({ ...check.report, packages: inCalls }, { unknown: policy.blockUnknown }) : [];
  const unsettled = policy.failClosed ? inCalls.filter(isUnsettled) : [];
  if (bad.length === 0 && unsettled.length === 0) return undefined;
  const lines = calls.map((c) => {
    const mine = bad.filter((p) => p.location?.toolCallId === c.id);
    const open = unsettled.filter((p) => p.location?.toolCallId === c.id);
    const why = mine.length ? `\n${indent(describeBad(mine))}` : open.length ? "\n  its packages could not all be checked" : "\n  withheld with the rest of this answer";
    return `- ${c.name}: ${excerpt(c.input)}${why}`;
  });
  const withheld: Withheld[] = calls.map((c) => {
    const mine = bad.filter((p) => p.location?.toolCallId === c.id);
    const open = unsettled.some((p) => p.location?.toolCallId === c.id);
    const reason = mine.length ? reasonOf(mine) : open ? "unchecked" : "with_answer";
    return { kind: "tool-call", reason, packages: mine.map((p) => p.name), tool: c.name, toolCallId: c.id };
  });
  return { withheld, text: lines.join("\n") };
}

function* callNotice(templates: Templates, calls: string): Generator<StreamPart> {
  const id = "slopguard-notice";
  yield { type: "text-start", id };
  yield { type: "text-delta", id, delta: render(templates["verify.withheldCalls"], { calls }) };
  yield { type: "text-end", id };
}

function excerpt(input: string): string {
  const oneLine = input.replace(/\s+/g, " ").trim();
  return "`" + (oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine) + "`";
}

function indent(lines: string): string {
  return lines.split("\n").map((l) => `  ${l}`).join("\n");
}

export type { CheckReport };
