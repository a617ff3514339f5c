/**
 * Chat-completions answers ↔ `Generation`: an upstream's JSON answer is checked and
 * read into parts; a `Generation` is written back for the client. When the answer
 * came from a chat upstream, its own body is the base, so fields we do not model
 * (`system_fingerprint`, `logprobs`, `service_tier`, …) reach the client.
 */
import type { AnswerPart, FinishReason, Generation, Usage } from "../../core/parts.js";
import { UpstreamFormatError } from "../errors.js";
import { encodeToolCall, decodeToolCall, defined } from "./request.js";
import { ChatCompletionSchema, type ChatUsage } from "./schema.js";

type Raw = Record<string, unknown>;

const FINISH_IN: Record<string, FinishReason> = {
  stop: "stop", length: "length", tool_calls: "tool-calls", function_call: "tool-calls", content_filter: "content-filter",
};
const FINISH_OUT: Record<FinishReason, string> = {
  stop: "stop", length: "length", "tool-calls": "tool_calls", "content-filter": "content_filter", error: "stop", other: "stop",
};

export function decodeFinish(reason: string | null | undefined): FinishReason {
  return reason ? (FINISH_IN[reason] ?? "other") : "other";
}

export function encodeFinish(reason: FinishReason): string {
  return FINISH_OUT[reason];
}

export function decodeUsage(u: ChatUsage | null | undefined): Usage | undefined {
  if (!u) return undefined;
  return {
    inputTokens: u.prompt_tokens,
    outputTokens: u.completion_tokens,
    totalTokens: u.total_tokens,
    ...defined({ cachedInputTokens: u.prompt_tokens_details?.cached_tokens ?? undefined, reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? undefined }),
  };
}

export function encodeUsage(u: Usage): Raw {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.totalTokens,
    ...(u.cachedInputTokens !== undefined ? { prompt_tokens_details: { cached_tokens: u.cachedInputTokens } } : {}),
    ...(u.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: u.reasoningTokens } } : {}),
  };
}

/** Reads an upstream's JSON answer; anything that is not a chat completion is an `UpstreamFormatError`. */
export function decodeChatCompletion(body: unknown): Generation {
  const parsed = ChatCompletionSchema.safeParse(body);
  if (!parsed.success) throw new UpstreamFormatError("chat completion", parsed.error);
  const c = parsed.data;
  const choice = c.choices[0]!;
  const content: AnswerPart[] = [];
  if (choice.message.reasoning_content) content.push({ type: "reasoning", text: choice.message.reasoning_content });
  const text = choice.message.content ?? choice.message.refusal ?? "";
  if (text) content.push({ type: "text", text });
  for (const call of choice.message.tool_calls ?? []) content.push(decodeToolCall(call));
  return {
    content,
    finishReason: decodeFinish(choice.finish_reason),
    ...defined({ usage: decodeUsage(c.usage) }),
    response: defined({ id: c.id ?? undefined, model: c.model ?? undefined, created: c.created ?? undefined }),
    native: { api: "chat", raw: body as Raw },
  };
}

/** The chat completion a client gets; `extra` fields (the slopguard report) are added at the top level. */
export function encodeChatCompletion(g: Generation, options: { id: string; model: string; created: number; extra?: Raw }): Raw {
  const raw = g.native?.api === "chat" ? g.native.raw : {};
  const rawChoice = ((raw.choices as Raw[] | undefined)?.[0] ?? {}) as Raw;
  const rawMessage = (rawChoice.message ?? {}) as Raw;
  const text = g.content.filter((p) => p.type === "text").map((p) => p.text).join("");
  const reasoning = g.content.filter((p) => p.type === "reasoning").map((p) => p.text).join("");
  const calls = g.content.filter((p) => p.type === "tool-call");
  const message: Raw = { ...rawMessage, role: "assistant", content: text || (calls.length ? null : "") };
  delete message.tool_calls;
  delete message.reasoning_content;
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length) message.tool_calls = calls.map(encodeToolCall);
  const choice: Raw = { logprobs: null, ...rawChoice, index: 0, message, finish_reason: encodeFinish(g.finishReason) };
  return {
    ...raw,
    id: options.id,
    object: "chat.completion",
    created: options.created,
    model: options.model,
    choices: [choice],
    ...(g.usage ? { usage: { ...(raw.usage as Raw | undefined), ...encodeUsage(g.usage) } } : {}),
    ...options.extra,
  };
}
