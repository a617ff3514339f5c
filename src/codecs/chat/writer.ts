/**
 * A chat stream as SSE: `data: {chunk}` per chunk, the report as a last chunk whose
 * `choices` is empty (the shape of OpenAI's usage chunk, which every client already
 * accepts; the extra `slopguard` field is ignored by the SDKs), then `data: [DONE]`.
 * A failure after the headers is an `error` object and no `[DONE]`: OpenAI's clients
 * raise it, and a cut answer never looks complete.
 */
import type { StreamWriter } from "../types.js";
import { ChatStreamEncoder } from "./stream.js";

export function chatStreamWriter(meta: { id: string; model: string; created: number; includeUsage: boolean }): StreamWriter {
  const encoder = new ChatStreamEncoder(meta);
  const frame = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  return {
    frames: (part) => (part.type === "report" ? [frame(encoder.extra({ slopguard: part.report }))] : encoder.encode(part).map(frame)),
    end: () => ["data: [DONE]\n\n"],
    error: (err) => [frame(err.body())],
  };
}
