/**
 * An upstream's Responses stream events → stream parts. Each event is checked; a
 * stream that ends before `response.completed` or `response.incomplete` was cut off
 * and is refused, so a truncated answer never looks complete. `response.failed` and
 * `error` events are the upstream's failure. Items the core does not model as stream
 * parts (built-in tool calls such as `web_search_call`) are not forwarded in a stream.
 */
import type { FinishReason, StreamPart, Usage } from "../../core/parts.js";
import { UpstreamFormatError } from "../errors.js";
import { defined } from "../chat/request.js";
import { API, qualify, type Raw } from "./items.js";
import { decodeFinish, decodeUsage, UpstreamResponseError } from "./response.js";
import { StreamEventSchema, StreamEventSchemas as S } from "./schema.js";

interface OpenItem {
  kind: "message" | "reasoning" | "tool" | "other";
  /** The part id: the item id (text, reasoning) or the call id (tool calls). */
  id: string;
  /** Text parts started, by content index, with what was streamed of each. */
  texts: Map<number, string>;
  /** What was streamed of a tool call's arguments or a reasoning item. */
  streamed: string;
  ended: boolean;
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } };

export class ResponsesStreamDecoder {
  private info = false;
  private readonly items = new Map<number, OpenItem>();
  private finish: FinishReason | undefined;
  private usage: Usage | undefined;
  private toolCalls = false;

  push(raw: unknown): StreamPart[] {
    const event = parse(StreamEventSchema, raw, "stream event");
    if (this.finish) return []; // nothing counts after the response ended
    switch (event.type) {
      case "response.created":
      case "response.queued":
      case "response.in_progress":
        return this.lifecycle(raw);
      case "response.output_item.added":
        return this.added(parse(S.itemAdded, raw, event.type));
      case "response.content_part.added": {
        const e = parse(S.contentPart, raw, event.type);
        return this.textStart(e.output_index, e.content_index);
      }
      case "response.output_text.delta":
      case "response.refusal.delta":
        return this.textDelta(parse(S.textDelta, raw, event.type));
      case "response.output_text.done": {
        const e = parse(S.textDone, raw, event.type);
        return this.textRest(e.output_index, e.content_index, e.text);
      }
      case "response.content_part.done":
        return [];
      case "response.reasoning_summary_part.added": {
        const e = parse(S.summaryPartAdded, raw, event.type);
        return e.summary_index > 0 ? this.streamDelta(this.item(e.output_index, event.type), "\n\n", "reasoning") : [];
      }
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta": {
        const e = parse(S.delta, raw, event.type);
        return this.streamDelta(this.item(e.output_index, event.type), e.delta, "reasoning");
      }
      case "response.function_call_arguments.delta":
      case "response.custom_tool_call_input.delta": {
        const e = parse(S.delta, raw, event.type);
        return this.streamDelta(this.item(e.output_index, event.type), e.delta, "tool");
      }
      case "response.function_call_arguments.done": {
        const e = parse(S.argumentsDone, raw, event.type);
        return this.toolRest(this.item(e.output_index, event.type), e.arguments);
      }
      case "response.custom_tool_call_input.done": {
        const e = parse(S.inputDone, raw, event.type);
        return this.toolRest(this.item(e.output_index, event.type), e.input);
      }
      case "response.output_item.done":
        return this.done(parse(S.itemDone, raw, event.type));
      case "response.completed":
      case "response.incomplete":
        return this.completed(raw);
      case "response.failed": {
        const r = parse(S.lifecycle, raw, event.type).response;
        throw new UpstreamResponseError(r.error?.message ?? "the response failed", r.error?.code ?? undefined);
      }
      case "error": {
        const e = parse(S.error, raw, event.type);
        throw new UpstreamResponseError(e.message ?? e.error?.message ?? "error event", e.code ?? e.error?.code ?? undefined);
      }
      default:
        return []; // annotations, built-in tool progress, keep-alives: nothing the core carries
    }
  }

  private lifecycle(raw: unknown): StreamPart[] {
    if (this.info) return [];
    this.info = true;
    const r = parse(S.lifecycle, raw, "response.created").response;
    return [{ type: "response-info", info: defined({ id: r.id, model: r.model ?? undefined, created: r.created_at ?? undefined }) }];
  }

  private open(index: number, kind: OpenItem["kind"], id: string): OpenItem {
    const item: OpenItem = { kind, id, texts: new Map(), streamed: "", ended: false };
    this.items.set(index, item);
    return item;
  }

  private item(index: number, what: string): OpenItem {
    const item = this.items.get(index);
    if (!item || item.ended) throw new UpstreamFormatError("stream", `${what} for output ${index}, which is not open`);
    return item;
  }

  private added(e: { output_index: number; item: Raw & { type: string; id?: string | null } }): StreamPart[] {
    const { item } = e;
    if (this.items.has(e.output_index)) throw new UpstreamFormatError("stream", `output ${e.output_index} was added twice`);
    const itemId = item.id ?? `item_${e.output_index}`;
    switch (item.type) {
      case "message":
        this.open(e.output_index, "message", itemId);
        return [];
      case "reasoning":
        this.open(e.output_index, "reasoning", itemId);
        return [{ type: "reasoning-start", id: itemId }];
      case "function_call":
      case "custom_tool_call": {
        const callId = typeof item.call_id === "string" && item.call_id ? item.call_id : undefined;
        const name = typeof item.name === "string" && item.name ? item.name : undefined;
        if (!callId || !name) throw new UpstreamFormatError("stream", `${item.type} at output ${e.output_index} has no call_id or name`);
        this.open(e.output_index, "tool", callId);
        this.toolCalls = true;
        const namespace = typeof item.namespace === "string" ? item.namespace : undefined;
        return [{ type: "tool-call-start", id: callId, name: qualify(namespace, name), kind: item.type === "custom_tool_call" ? "custom" : "function" }];
      }
      default:
        this.open(e.output_index, "other", itemId);
        return [];
    }
  }

  private textStart(index: number, contentIndex: number): StreamPart[] {
    const item = this.item(index, "content part");
    if (item.kind !== "message" || item.texts.has(contentIndex)) return [];
    item.texts.set(contentIndex, "");
    return [{ type: "text-start", id: textId(item, contentIndex) }];
  }

  private textDelta(e: { output_index: number; content_index: number; delta: string }): StreamPart[] {
    const out = this.textStart(e.output_index, e.content_index);
    const item = this.item(e.output_index, "text delta");
    if (item.kind !== "message" || !e.delta) return out;
    item.texts.set(e.content_index, (item.texts.get(e.content_index) ?? "") + e.delta);
    out.push({ type: "text-delta", id: textId(item, e.content_index), delta: e.delta });
    return out;
  }

  /** A `.done` event carries the whole text: what the deltas did not bring is sent now. */
  private textRest(index: number, contentIndex: number, text: string): StreamPart[] {
    const item = this.item(index, "text done");
    const streamed = item.texts.get(contentIndex) ?? "";
    const rest = text.startsWith(streamed) ? text.slice(streamed.length) : "";
    return rest ? this.textDelta({ output_index: index, content_index: contentIndex, delta: rest }) : [];
  }

  private streamDelta(item: OpenItem, delta: string, kind: "reasoning" | "tool"): StreamPart[] {
    if (item.kind !== kind || !delta) return [];
    item.streamed += delta;
    return [{ type: kind === "tool" ? "tool-call-delta" : "reasoning-delta", id: item.id, delta }];
  }

  private toolRest(item: OpenItem, full: string): StreamPart[] {
    if (item.kind !== "tool") return [];
    const rest = full.startsWith(item.streamed) ? full.slice(item.streamed.length) : "";
    return rest ? this.streamDelta(item, rest, "tool") : [];
  }

  private done(e: { output_index: number; item: Raw & { type: string } }): StreamPart[] {
    const item = this.item(e.output_index, "output_item.done");
    item.ended = true;
    switch (item.kind) {
      case "message":
        return close(item);
      case "reasoning":
        // The finished item carries `encrypted_content`: a Responses client gets it back whole.
        return [{ type: "reasoning-end", id: item.id, native: { api: API, raw: e.item } }];
      case "tool": {
        const full = e.item.type === "custom_tool_call" ? e.item.input : e.item.arguments;
        return [...(typeof full === "string" ? this.toolRest(item, full) : []), { type: "tool-call-end", id: item.id }];
      }
      default:
        return [];
    }
  }

  private completed(raw: unknown): StreamPart[] {
    const r = parse(S.lifecycle, raw, "response.completed").response;
    const out: StreamPart[] = this.info ? [] : this.lifecycle(raw);
    for (const item of this.items.values()) if (!item.ended) out.push(...close(item));
    this.usage = decodeUsage(r.usage);
    this.finish = decodeFinish(r, this.toolCalls);
    out.push({ type: "finish", finishReason: this.finish, ...(this.usage ? { usage: this.usage } : {}) });
    return out;
  }

  /** The upstream's stream ended; one without a completed or incomplete response was cut off. */
  end(): StreamPart[] {
    if (!this.finish) throw new UpstreamFormatError("stream", "it ended before response.completed (truncated answer)");
    return [];
  }
}

function textId(item: OpenItem, contentIndex: number): string {
  return contentIndex === 0 ? item.id : `${item.id}:${contentIndex}`;
}

/** Ends an item (at its `output_item.done`, or at the end of a response that never sent one). */
function close(item: OpenItem): StreamPart[] {
  item.ended = true;
  if (item.kind === "message") return [...item.texts.keys()].map((ci) => ({ type: "text-end", id: textId(item, ci) }));
  if (item.kind === "reasoning") return [{ type: "reasoning-end", id: item.id }];
  if (item.kind === "tool") return [{ type: "tool-call-end", id: item.id }];
  return [];
}

function parse<T>(schema: Schema<T>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new UpstreamFormatError(what, parsed.error);
  return parsed.data;
}
