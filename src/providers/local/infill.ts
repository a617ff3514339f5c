/**
 * Text completions (`/v1/completions`) on a local model, with node-llama-cpp's
 * `LlamaCompletion` on the request's pooled sequence:
 * - fill-in-the-middle (a `suffix`) with the model's own infill tokens, when the GGUF
 *   has them (`<|fim_prefix|>`-style tokens: Qwen2.5-Coder, StarCoder, CodeLlama…);
 * - a plain continuation of the prompt without a suffix.
 * A model without infill tokens gets a `suffix` request as the chat turn the
 * completions codec wrote (the FIM instruction): the chat path serves it.
 */
import { LlamaCompletion, type LlamaContextSequence, type LlamaModel, type Token } from "node-llama-cpp";
import type { FinishReason, ModelCall, StreamPart } from "../../core/parts.js";
import { AsyncQueue } from "../../util/async-queue.js";

export type TextMode = "infill" | "continue";

/** How a local model serves the call as text, or undefined when the chat path serves it. */
export function textMode(call: ModelCall, model: LlamaModel): TextMode | undefined {
  const c = call.completion;
  if (!c) return undefined;
  if (c.suffix === undefined) return "continue";
  const infill = model.tokens.infill;
  return infill.prefix != null && infill.suffix != null ? "infill" : undefined;
}

export interface TextArgs {
  mode: TextMode;
  model: LlamaModel;
  sequence: LlamaContextSequence;
  call: ModelCall;
  sampling: Record<string, unknown>;
  signal: AbortSignal;
}

/** Generates the completion as stream parts; stops generating when the consumer stops reading. */
export async function* generateText(args: TextArgs): AsyncGenerator<StreamPart> {
  const { call, model } = args;
  const completion = new LlamaCompletion({ contextSequence: args.sequence, autoDisposeSequence: false });
  const stop = new AbortController();
  const onAbort = () => stop.abort(args.signal.reason);
  args.signal.addEventListener("abort", onAbort, { once: true });
  const parts = new AsyncQueue<StreamPart>();
  const id = "text-0";
  let started = false;
  let outputTokens = 0;
  const options = {
    ...args.sampling,
    signal: stop.signal,
    stopOnAbortSignal: false,
    onTextChunk: (text: string) => {
      if (!text) return;
      if (!started) parts.push({ type: "text-start", id });
      started = true;
      parts.push({ type: "text-delta", id, delta: text });
    },
    onToken: (tokens: Token[]) => void (outputTokens += tokens.length),
  };
  const { prompt, suffix = "" } = call.completion!;
  const run = args.mode === "infill" ? completion.generateInfillCompletionWithMeta(prompt, suffix, options as never) : completion.generateCompletionWithMeta(prompt, options as never);
  const done = run.then(
    (res) => {
      if (started) parts.push({ type: "text-end", id });
      const inputTokens = model.tokenize(prompt).length + (args.mode === "infill" ? model.tokenize(suffix).length + 3 : 0);
      const finishReason: FinishReason = res.metadata.stopReason === "maxTokens" ? "length" : "stop";
      parts.push({ type: "finish", finishReason, usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens } });
      parts.end();
    },
    (err: unknown) => parts.end(err),
  );
  try {
    yield* parts;
    await done;
  } finally {
    stop.abort(new Error("consumer stopped"));
    await done.catch(() => undefined);
    args.signal.removeEventListener("abort", onAbort);
    // The sequence goes back to the pool; only this wrapper's listeners go.
    completion.dispose({ disposeSequence: false });
  }
}
