/**
 * A Messages stream as SSE: `event: <type>` + `data: {event}` per event, as Anthropic
 * sends it. The report rides as an extra `slopguard` field on the last `message_delta`:
 * `@anthropic-ai/sdk` and Claude Code read only the fields they know there, while a
 * custom event type would be handed to every `for await (const event of stream)` loop
 * of the TypeScript SDK (test/gateway/messages-sdk.test.ts checks both). A failure
 * after the headers is Anthropic's `event: error`, and no `message_stop`: the SDKs
 * raise it, and a cut answer never looks complete.
 */
import type { ApiError } from "../../server/errors.js";
import type { StreamWriter } from "../types.js";
import { MessagesStreamEncoder } from "./stream.js";

const frame = (o: Record<string, unknown>) => `event: ${String(o.type)}\ndata: ${JSON.stringify(o)}\n\n`;

export function messagesStreamWriter(meta: { id: string; model: string }): StreamWriter {
  const encoder = new MessagesStreamEncoder(meta);
  return {
    frames: (part) => (part.type === "report" ? encoder.messageDelta({ slopguard: part.report }) : encoder.encode(part)).map(frame),
    end: () => encoder.stop().map(frame),
    error: (err) => [frame(messagesErrorBody(err) as Record<string, unknown>)],
  };
}

/** Anthropic's error types by status (its documented table; 504 is `timeout_error`, 529 `overloaded_error`). */
function errorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503 || status === 529) return "overloaded_error";
  if (status === 504) return "timeout_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

/** `{type: "error", error: {type, message}}`, the body every Anthropic error has. */
export function messagesErrorBody(err: ApiError): unknown {
  return { type: "error", error: { type: errorType(err.status), message: err.message } };
}
