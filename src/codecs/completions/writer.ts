/**
 * A completions stream as SSE, placed like chat's: `data: {chunk}` per chunk, the
 * report as a last chunk with empty `choices` (the usage chunk's shape, which the SDKs
 * accept and whose extra `slopguard` field they ignore), then `data: [DONE]`; a failure
 * after the headers is an `error` object and no `[DONE]`.
 */
import type { StreamWriter } from "../types.js";
import { CompletionStreamEncoder } from "./stream.js";

export function completionStreamWriter(meta: { id: string; model: string; created: number; includeUsage: boolean }): StreamWriter {
  const encoder = new CompletionStreamEncoder(meta);
  const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  return {
    frames: (part) => (part.type === "report" ? [frame(encoder.extra({ slopguard: part.report }))] : encoder.encode(part).map(frame)),
    end: () => ["data: [DONE]\n\n"],
    error: (err) => [frame(err.body())],
  };
}
