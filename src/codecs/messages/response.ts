/**
 * Messages answers ↔ `Generation`: an upstream's JSON message is checked and read into
 * parts; a `Generation` is written back for the client. When the answer came from an
 * Anthropic upstream, its own body is the base, so fields we do not model
 * (`container`, `stop_details`, usage details) reach the client, and each block keeps
 * its wire form (citations, thinking signatures).
 */
import type { AnswerPart, FinishReason, Generation, Usage } from "../../core/parts.js";
import { defined } from "../chat/request.js";
import { UpstreamFormatError } from "../errors.js";
import { decodeAnswerBlock, encodeAnswerPart } from "./request.js";
import { MessageSchema, type MessagesUsage } from "./schema.js";

type Raw = Record<string, unknown>;

const FINISH_IN: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool-calls",
  refusal: "content-filter",
  pause_turn: "other",
};

/**
 * `content-filter` is also what verify sets when it withheld text; Claude Code shows
 * `refusal` as a usage-policy refusal, so it is sent only when the upstream itself said so.
 */
const FINISH_OUT: Record<FinishReason, string> = {
  stop: "end_turn", length: "max_tokens", "tool-calls": "tool_use", "content-filter": "end_turn", error: "end_turn", other: "end_turn",
};

export function decodeStopReason(reason: string | null | undefined): FinishReason {
  return reason ? (FINISH_IN[reason] ?? "other") : "other";
}

/** The upstream's own stop reason when it still says the same, else the mapped one. */
export function encodeStopReason(finish: FinishReason, upstream?: unknown): string {
  if (typeof upstream === "string" && decodeStopReason(upstream) === finish) return upstream;
  return FINISH_OUT[finish];
}

/** Anthropic counts cached input apart; the core's `inputTokens` is the whole prompt, as OpenAI counts it. */
export function decodeMessagesUsage(u: MessagesUsage | null | undefined): Usage | undefined {
  if (!u || u.input_tokens == null || u.output_tokens == null) return undefined;
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const input = u.input_tokens + cacheRead + (u.cache_creation_input_tokens ?? 0);
  return { inputTokens: input, outputTokens: u.output_tokens, totalTokens: input + u.output_tokens, ...(cacheRead ? { cachedInputTokens: cacheRead } : {}) };
}

export function encodeMessagesUsage(u: Usage, upstream?: unknown): Raw {
  const raw = upstream && typeof upstream === "object" ? (upstream as Raw) : {};
  const creation = typeof raw.cache_creation_input_tokens === "number" ? raw.cache_creation_input_tokens : 0;
  const cached = u.cachedInputTokens ?? 0;
  return {
    ...raw,
    input_tokens: Math.max(0, u.inputTokens - cached - creation),
    output_tokens: u.outputTokens,
    cache_creation_input_tokens: creation,
    cache_read_input_tokens: cached,
  };
}

/** Reads an upstream's JSON answer; anything that is not a message is an `UpstreamFormatError`. */
export function decodeMessagesResponse(body: unknown, options: { customTools?: ReadonlySet<string> } = {}): Generation {
  const parsed = MessageSchema.safeParse(body);
  if (!parsed.success) throw new UpstreamFormatError("message", parsed.error);
  const m = parsed.data;
  const content = m.content.map((b) => customCall(decodeAnswerBlock(b), options.customTools));
  return {
    content,
    finishReason: decodeStopReason(m.stop_reason),
    ...defined({ usage: decodeMessagesUsage(m.usage) }),
    response: defined({ id: m.id, model: m.model ?? undefined }),
    native: { api: "messages", raw: body as Raw },
  };
}

/** A `tool_use` of a tool the caller declared free-form (custom): its `{input}` object back to text. */
export function customCall(p: AnswerPart, customTools: ReadonlySet<string> | undefined): AnswerPart {
  if (p.type !== "tool-call" || !customTools?.has(p.name)) return p;
  // The wire form is a stand-in (a function with one argument): it is not kept.
  const { native: _wire, ...call } = p;
  try {
    const parsed = JSON.parse(p.input) as { input?: unknown };
    return { ...call, kind: "custom", input: typeof parsed.input === "string" ? parsed.input : p.input };
  } catch {
    return { ...call, kind: "custom" };
  }
}

/** The message a client gets; `extra` fields (the slopguard report) are added at the top level. */
export function encodeMessagesResponse(g: Generation, options: { id: string; model: string; extra?: Raw }): Raw {
  const raw = g.native?.api === "messages" ? g.native.raw : {};
  const content = g.content.flatMap((p) => encodeClientPart(p));
  const stopReason = encodeStopReason(g.finishReason, raw.stop_reason);
  return {
    ...raw,
    id: options.id,
    type: "message",
    role: "assistant",
    model: options.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === "stop_sequence" ? (raw.stop_sequence ?? null) : null,
    usage: g.usage ? encodeMessagesUsage(g.usage, raw.usage) : (raw.usage ?? { input_tokens: 0, output_tokens: 0 }),
    ...options.extra,
  };
}

/**
 * A part as the client sees it. Reasoning from another API has no signature; the client
 * still sees it as thinking (an Anthropic upstream never gets it back: see encodeAnswerPart).
 */
function encodeClientPart(p: AnswerPart): Raw[] {
  if (p.type === "reasoning" && p.native?.api !== "messages") return p.text ? [{ type: "thinking", thinking: p.text, signature: "" }] : [];
  return encodeAnswerPart(p);
}
