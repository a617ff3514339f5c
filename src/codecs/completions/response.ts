/**
 * Completions answers ↔ `Generation`: an upstream's `text_completion` is checked and
 * read into one text part; a `Generation` is written back as `choices[0].text`.
 */
import type { FinishReason, Generation } from "../../core/parts.js";
import { textOf } from "../../core/stream.js";
import { defined } from "../chat/request.js";
import { decodeUsage, encodeUsage } from "../chat/response.js";
import { UpstreamFormatError } from "../errors.js";
import { TextCompletionSchema } from "./schema.js";

type Raw = Record<string, unknown>;

export function decodeCompletionFinish(reason: string | null | undefined): FinishReason {
  if (reason === "stop") return "stop";
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content-filter";
  return "other";
}

/** Completions know three reasons; a tool call (a chat upstream's) ends the text like a stop. */
export function encodeCompletionFinish(reason: FinishReason): string {
  if (reason === "length") return "length";
  if (reason === "content-filter") return "content_filter";
  return "stop";
}

export function decodeTextCompletion(body: unknown): Generation {
  const parsed = TextCompletionSchema.safeParse(body);
  if (!parsed.success) throw new UpstreamFormatError("text completion", parsed.error);
  const c = parsed.data;
  const choice = c.choices[0]!;
  return {
    content: choice.text ? [{ type: "text", text: choice.text }] : [],
    finishReason: decodeCompletionFinish(choice.finish_reason),
    ...defined({ usage: decodeUsage(c.usage) }),
    response: defined({ id: c.id ?? undefined, model: c.model ?? undefined, created: c.created ?? undefined }),
    native: { api: "completions", raw: body as Raw },
  };
}

export function encodeTextCompletion(g: Generation, options: { id: string; model: string; created: number; extra?: Raw }): Raw {
  const raw = g.native?.api === "completions" ? g.native.raw : {};
  const rawChoice = ((raw.choices as Raw[] | undefined)?.[0] ?? {}) as Raw;
  return {
    ...raw,
    id: options.id,
    object: "text_completion",
    created: options.created,
    model: options.model,
    choices: [{ logprobs: null, ...rawChoice, text: textOf(g.content), index: 0, finish_reason: encodeCompletionFinish(g.finishReason) }],
    ...(g.usage ? { usage: encodeUsage(g.usage) } : {}),
    ...options.extra,
  };
}
