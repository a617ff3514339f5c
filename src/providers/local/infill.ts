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
import { queuedGeneration, type QueuedGeneration } from "./queued.js";

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
  /** Extra data for the finish part (constrained decoding's report), read once the text is complete. */
  metadata?: () => Record<string, unknown>;
}

/** Generates the completion as stream parts; stops generating when the consumer stops reading. */
export function generateText(args: TextArgs): AsyncGenerator<StreamPart> {
  let completion: LlamaCompletion | undefined;
  return queuedGeneration(
    args.signal,
    (g) => {
      completion = new LlamaCompletion({ contextSequence: args.sequence, autoDisposeSequence: false });
      return complete(args, completion, g);
    },
    // The sequence goes back to the pool; only this wrapper's listeners go.
    () => completion?.dispose({ disposeSequence: false }),
  );
}

async function complete(args: TextArgs, completion: LlamaCompletion, { stop, parts }: QueuedGeneration): Promise<void> {
  const { call, model } = args;
  const id = "text-0";
  let started = false;
  let outputTokens = 0;
  const options = {
    ...args.sampling,
    signal: stop,
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
  const res = await (args.mode === "infill" ? completion.generateInfillCompletionWithMeta(prompt, suffix, options as never) : completion.generateCompletionWithMeta(prompt, options as never));
  if (started) parts.push({ type: "text-end", id });
  const inputTokens = model.tokenize(prompt).length + (args.mode === "infill" ? model.tokenize(suffix).length + 3 : 0);
  const finishReason: FinishReason = res.metadata.stopReason === "maxTokens" ? "length" : "stop";
  const metadata = args.metadata?.();
  parts.push({ type: "finish", finishReason, usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }, ...(metadata ? { metadata } : {}) });
}
