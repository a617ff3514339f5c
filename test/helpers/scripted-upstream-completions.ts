/**
 * OpenAI's legacy completions wire encoding of a scripted answer
 * (`POST /v1/completions`, as vLLM, llama.cpp's server and Ollama serve it):
 * `text_completion` objects with the answer in `choices[0].text`; streams send one
 * chunk per text piece, a last chunk with the `finish_reason`, a usage chunk when
 * `stream_options.include_usage` is set, then `[DONE]`. Tool calls have no place here.
 */
import { answerText, textPieces, type EncodeContext, type Frame, type ModelAnswer, type StreamPlan } from "./scripted-upstream-turn.js";

const PROMPT_TOKENS = 9;

function base(ctx: EncodeContext) {
  return { id: "cmpl-upstream", object: "text_completion", created: 1_700_000_000, model: ctx.model };
}

function usage(n: number) {
  return { prompt_tokens: PROMPT_TOKENS, completion_tokens: n, total_tokens: PROMPT_TOKENS + n };
}

export function completionsJson(answer: ModelAnswer, ctx: EncodeContext): unknown {
  if (answer.toolCalls?.length) throw new Error("scripted upstream: completions have no tool calls");
  const text = answerText(answer);
  return { ...base(ctx), choices: [{ text, index: 0, logprobs: null, finish_reason: answer.finishReason ?? "stop" }], usage: usage(text.split(/\s+/).filter(Boolean).length) };
}

export function completionsStream(answer: ModelAnswer, ctx: EncodeContext): StreamPlan {
  const chunk = (text: string, finish: string | null): Frame => ({ data: { ...base(ctx), choices: [{ text, index: 0, logprobs: null, finish_reason: finish }] } });
  const pieces = textPieces(answer);
  const tail: Frame[] = [chunk("", answer.finishReason ?? "stop")];
  if (ctx.includeUsage) tail.push({ data: { ...base(ctx), choices: [], usage: usage(pieces.length) } });
  tail.push({ data: "[DONE]" });
  return { head: [], body: pieces.map((t) => chunk(t, null)), tail };
}

export function completionsError(message: string): unknown {
  return { error: { message, type: "server_error", param: null, code: null } };
}
