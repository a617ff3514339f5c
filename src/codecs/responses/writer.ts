/**
 * A Responses stream as SSE: `event: <type>` + `data: {event}` per event, no `[DONE]`
 * (OpenAI sends none for this API). The report rides on `response.completed`; a failure
 * after the headers is an `error` event and `response.failed` (events.ts).
 */
import type { StreamWriter } from "../types.js";
import { ResponsesEventEncoder, type EventMeta } from "./events.js";

function frame(event: Record<string, unknown>): string {
  return `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function responsesStreamWriter(meta: EventMeta): StreamWriter {
  const encoder = new ResponsesEventEncoder(meta);
  return {
    frames: (part) => encoder.encode(part).map(frame),
    // The service always ends with the report; should it not, the answer still gets its last event.
    end: () => encoder.terminal().map(frame),
    error: (err) => encoder.error(err.body()).map(frame),
  };
}
