/**
 * Anthropic Messages API wire encoding of a scripted answer (`POST /v1/messages`).
 *
 * JSON: a `message` with `text` and `tool_use` content blocks and
 * `stop_reason: "tool_use"` when it calls tools (`end_turn` otherwise).
 *
 * Stream: `message_start` (empty content), a `ping`, then per block
 * `content_block_start`, `content_block_delta` (`text_delta`, or
 * `input_json_delta` with the tool input's JSON in many `partial_json` pieces)
 * and `content_block_stop`; then `message_delta` with the `stop_reason` and the
 * output usage, and `message_stop`. Each event's `event:` line is its `type`.
 */
import {
  answerText,
  argumentsText,
  pieces,
  roughTokens,
  textPieces,
  type EncodeContext,
  type Frame,
  type ModelAnswer,
  type StreamPlan,
} from "./scripted-upstream-turn.js";

const PROMPT_TOKENS = 9;

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown; json: string };

function blocks(answer: ModelAnswer, ctx: EncodeContext): Block[] {
  const out: Block[] = [];
  const text = answerText(answer);
  if (text || !answer.toolCalls?.length) out.push({ type: "text", text });
  for (const call of answer.toolCalls ?? []) {
    if (call.custom) throw new Error("scripted upstream: custom tool calls are only encoded for the Responses API");
    out.push({ type: "tool_use", id: call.id ?? ctx.nextId("toolu"), name: call.name, input: call.input ?? {}, json: argumentsText(call) });
  }
  return out;
}

const wireBlock = (b: Block) => (b.type === "text" ? { type: "text", text: b.text } : { type: "tool_use", id: b.id, name: b.name, input: b.input });

function usage(outputTokens: number) {
  return { input_tokens: PROMPT_TOKENS, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
}

function outputTokens(bs: Block[]): number {
  return roughTokens(bs.map((b) => (b.type === "text" ? b.text : b.name + b.json)).join(""));
}

function stopReason(bs: Block[]): string {
  return bs.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn";
}

function message(ctx: EncodeContext, id: string, content: unknown[], stop: string | null, outTokens: number) {
  return { id, type: "message", role: "assistant", model: ctx.model, content, stop_reason: stop, stop_sequence: null, usage: usage(outTokens) };
}

export function messagesJson(answer: ModelAnswer, ctx: EncodeContext): unknown {
  const bs = blocks(answer, ctx);
  return message(ctx, ctx.nextId("msg"), bs.map(wireBlock), stopReason(bs), outputTokens(bs));
}

function blockFrames(b: Block, index: number, answer: ModelAnswer): Frame[] {
  const ev = (type: string, fields: object): Frame => ({ event: type, data: { type, ...fields } });
  if (b.type === "text") {
    return [
      ev("content_block_start", { index, content_block: { type: "text", text: "" } }),
      ...textPieces(answer).map((text) => ev("content_block_delta", { index, delta: { type: "text_delta", text } })),
      ev("content_block_stop", { index }),
    ];
  }
  return [
    ev("content_block_start", { index, content_block: { type: "tool_use", id: b.id, name: b.name, input: {} } }),
    ...pieces(b.json, answer.argChunkSize ?? 8).map((partial_json) => ev("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } })),
    ev("content_block_stop", { index }),
  ];
}

export function messagesStream(answer: ModelAnswer, ctx: EncodeContext): StreamPlan {
  const bs = blocks(answer, ctx);
  const id = ctx.nextId("msg");
  return {
    head: [
      { event: "message_start", data: { type: "message_start", message: message(ctx, id, [], null, 1) } },
      { event: "ping", data: { type: "ping" } },
    ],
    body: bs.flatMap((b, i) => blockFrames(b, i, answer)),
    tail: [
      { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: stopReason(bs), stop_sequence: null }, usage: { output_tokens: outputTokens(bs) } } },
      { event: "message_stop", data: { type: "message_stop" } },
    ],
  };
}

export function messagesError(status: number, message: string): unknown {
  const type = status === 429 ? "rate_limit_error" : status === 529 ? "overloaded_error" : status >= 500 ? "api_error" : "invalid_request_error";
  return { type: "error", error: { type, message } };
}
