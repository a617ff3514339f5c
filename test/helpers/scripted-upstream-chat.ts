/**
 * Chat completions wire encoding of a scripted answer (JSON and SSE), as the
 * OpenAI API sends it: tool calls under `message.tool_calls`, and in streams a
 * first delta per call with `index`, `id`, `type` and `function.name`, then
 * `function.arguments` in many small deltas, `finish_reason: "tool_calls"`, and
 * a usage chunk with empty `choices` when `stream_options.include_usage` is set.
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

export function completionBody(model: string, content: string, promptTokens = PROMPT_TOKENS) {
  const completionTokens = content.split(/\s+/).filter(Boolean).length;
  return {
    id: "chatcmpl-upstream",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

function chunkBody(model: string, delta: Record<string, unknown>, finish: string | null) {
  return {
    id: "chatcmpl-upstream",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  };
}

interface WireCall {
  id: string;
  name: string;
  args: string;
}

function wireCalls(answer: ModelAnswer, ctx: EncodeContext): WireCall[] {
  return (answer.toolCalls ?? []).map((c) => {
    if (c.custom) throw new Error("scripted upstream: custom tool calls are only encoded for the Responses API");
    return { id: c.id ?? ctx.nextId("call"), name: c.name, args: argumentsText(c) };
  });
}

function completionTokens(answer: ModelAnswer, calls: WireCall[]): number {
  const text = answerText(answer);
  if (!calls.length) return text.split(/\s+/).filter(Boolean).length;
  return roughTokens(text + calls.map((c) => c.name + c.args).join(""));
}

export function chatJson(answer: ModelAnswer, ctx: EncodeContext): unknown {
  const calls = wireCalls(answer, ctx);
  const text = answerText(answer);
  if (!calls.length) {
    const body = completionBody(ctx.model, text);
    if (answer.finishReason) body.choices[0]!.finish_reason = answer.finishReason;
    return body;
  }
  const n = completionTokens(answer, calls);
  return {
    ...completionBody(ctx.model, text),
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text || null,
          tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.args } })),
        },
        finish_reason: answer.finishReason ?? "tool_calls",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: n, total_tokens: PROMPT_TOKENS + n },
  };
}

export function chatStream(answer: ModelAnswer, ctx: EncodeContext): StreamPlan {
  const calls = wireCalls(answer, ctx);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): Frame => ({ data: chunkBody(ctx.model, delta, finish) });
  const body: Frame[] = textPieces(answer).map((t) => chunk({ content: t }));
  calls.forEach((c, index) => {
    body.push(chunk({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }));
    for (const piece of pieces(c.args, answer.argChunkSize ?? 8)) {
      body.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  const tail: Frame[] = [chunk({}, answer.finishReason ?? (calls.length ? "tool_calls" : "stop"))];
  if (ctx.includeUsage) {
    // Streams count one token per scripted text chunk, so tests can predict the usage.
    const n = calls.length ? completionTokens(answer, calls) : textPieces(answer).length;
    tail.push({ data: { ...chunkBody(ctx.model, {}, null), choices: [], usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: n, total_tokens: PROMPT_TOKENS + n } } });
  }
  tail.push({ data: "[DONE]" });
  return { head: [chunk({ role: "assistant", content: "" })], body, tail };
}

export function chatError(message: string): unknown {
  return { error: { message, type: "server_error", param: null, code: null } };
}
