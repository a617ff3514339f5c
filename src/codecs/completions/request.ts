/**
 * Completions requests ↔ `ModelCall`. The call carries the text itself
 * (`call.completion`: prompt, suffix, language), for providers that complete text (an
 * upstream's own `/v1/completions`, a local model's infill tokens), and the same
 * request as a chat turn (`call.prompt`), for providers that only chat.
 */
import type { Message, ModelCall } from "../../core/parts.js";
import { decodeSampling, defined, extraFields } from "../chat/request.js";
import { completionLanguage, fileStart } from "./language.js";
import type { CompletionRequest } from "./schema.js";

const API = "completions" as const;
type Raw = Record<string, unknown>;

const MODELLED = new Set(["model", "prompt", "suffix", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed", "stream", "stream_options"]);

export interface DecodedCompletion {
  call: ModelCall;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

export function decodeCompletionRequest(req: CompletionRequest): DecodedCompletion {
  const extra = extraFields(req, MODELLED);
  const prompt = typeof req.prompt === "string" ? req.prompt : req.prompt[0]!;
  const suffix = req.suffix ?? undefined;
  const language = completionLanguage(prompt, suffix);
  const start = fileStart(prompt);
  const call: ModelCall = {
    prompt: chatTurns(prompt, suffix),
    completion: { prompt, ...defined({ suffix, language, fileStart: start > 0 ? start : undefined }) },
    ...defined({ maxOutputTokens: req.max_tokens ?? undefined }),
    ...decodeSampling(req),
    native: { api: API, extra },
  };
  return { call, model: req.model, stream: req.stream === true, includeUsage: req.stream_options?.include_usage === true };
}

/**
 * The completion as a chat turn. Chat models answer in prose and fences unless told
 * otherwise, and repeat the code around the cursor: the instruction forbids both and
 * marks the two sides with tags, which code rarely contains (fences would break on
 * code that holds fences itself).
 */
export const FIM_SYSTEM =
  "You are a code completion engine inside an editor. You are given the file's text before the cursor and, when there is one, the text after it. " +
  "Reply with exactly the text to insert at the cursor, so that before + your reply + after is the completed file. " +
  "Write no explanation, no markdown fences, and do not repeat text that is already before or after the cursor. Keep the file's indentation and style.";

export const CONTINUE_SYSTEM =
  "You are a text completion engine. Reply with exactly the text that continues the given text, without repeating it, without explanation and without markdown fences.";

function chatTurns(prompt: string, suffix: string | undefined): Message[] {
  const user = suffix !== undefined
    ? `<before_cursor>\n${prompt}</before_cursor>\n<after_cursor>\n${suffix}</after_cursor>\n\nThe text to insert at the cursor:`
    : `<text>\n${prompt}</text>\n\nThe continuation:`;
  return [
    { role: "system", content: [{ type: "text", text: suffix !== undefined ? FIM_SYSTEM : CONTINUE_SYSTEM }] },
    { role: "user", content: [{ type: "text", text: user }] },
  ];
}

/** The body an upstream's own `/v1/completions` gets (the client's unmodelled fields when it spoke completions too). */
export function encodeCompletionRequest(call: ModelCall, options: { model: string; stream: boolean }): Raw {
  if (!call.completion) throw new Error("encodeCompletionRequest: the call is not a text completion");
  const extra = call.native?.api === API ? call.native.extra : {};
  const body: Raw = {
    ...extra,
    model: options.model,
    prompt: call.completion.prompt,
    ...defined({
      suffix: call.completion.suffix,
      max_tokens: call.maxOutputTokens,
      temperature: call.temperature,
      top_p: call.topP,
      top_k: call.topK,
      stop: call.stop?.length ? call.stop : undefined,
      seed: call.seed,
    }),
    stream: options.stream,
  };
  // Always ask for the usage chunk: token metrics and rate limits need it.
  if (options.stream) body.stream_options = { include_usage: true };
  return body;
}
