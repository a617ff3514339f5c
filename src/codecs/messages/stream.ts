/**
 * Messages stream events ↔ stream parts. The decoder reads an upstream's events
 * (checked one by one) into parts and refuses a stream that ends without
 * `message_stop`: a truncated answer must not look complete. The encoder writes parts
 * as the events Anthropic's clients accumulate: `message_start`, then per block
 * `content_block_start` / `content_block_delta` / `content_block_stop`, then
 * `message_delta` (stop reason, usage) and `message_stop`.
 */
import type { FinishReason, StreamPart, Usage } from "../../core/parts.js";
import { defined } from "../chat/request.js";
import { UpstreamFormatError } from "../errors.js";
import { decodeMessagesUsage, decodeStopReason, encodeMessagesUsage, encodeStopReason } from "./response.js";
import { KNOWN_EVENTS, StreamEventSchema, type MessagesUsage } from "./schema.js";

type Raw = Record<string, unknown>;

type OpenBlock =
  | { kind: "text"; id: string }
  | { kind: "reasoning"; id: string; raw: Raw }
  | { kind: "tool"; id: string; custom: boolean; buffered: string }
  /** Server tool blocks and types we do not model: skipped with their deltas. */
  | { kind: "skip" };

/** Thrown for an upstream `event: error` (overloaded, rate limited): the provider maps `type` to a status. */
export class UpstreamStreamError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
    this.name = "UpstreamStreamError";
  }
}

export class MessagesStreamDecoder {
  private readonly blocks = new Map<number, OpenBlock>();
  private started = false;
  private stopped = false;
  private finish: FinishReason | undefined;
  private usage: MessagesUsage = {};

  constructor(private readonly options: { customTools?: ReadonlySet<string> } = {}) {}

  push(raw: unknown): StreamPart[] {
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type === "string" && !KNOWN_EVENTS.has(type)) return [];
    const parsed = StreamEventSchema.safeParse(raw);
    if (!parsed.success) throw new UpstreamFormatError("stream event", parsed.error);
    const ev = parsed.data;
    if (ev.type !== "message_start" && ev.type !== "ping" && ev.type !== "error" && !this.started) {
      throw new UpstreamFormatError("stream", `'${ev.type}' came before message_start`);
    }
    switch (ev.type) {
      case "message_start":
        this.started = true;
        this.usage = { ...ev.message.usage };
        return [{ type: "response-info", info: defined({ id: ev.message.id, model: ev.message.model ?? undefined }) }];
      case "content_block_start":
        return this.start(ev.index, ev.content_block as Raw);
      case "content_block_delta":
        return this.delta(ev.index, ev.delta as Raw);
      case "content_block_stop":
        return this.stop(ev.index);
      case "message_delta":
        this.finish = decodeStopReason(ev.delta.stop_reason);
        // Counts in message_delta are cumulative: they replace what message_start said.
        for (const [k, v] of Object.entries(ev.usage ?? {})) if (v != null) (this.usage as Raw)[k] = v;
        return [];
      case "message_stop":
        this.stopped = true;
        return [];
      case "ping":
        return [];
      case "error":
        throw new UpstreamStreamError(ev.error.type, ev.error.message ?? ev.error.type);
    }
  }

  private start(index: number, block: Raw): StreamPart[] {
    const type = block.type;
    if (type === "text") {
      const id = `text-${index}`;
      this.blocks.set(index, { kind: "text", id });
      const text = typeof block.text === "string" ? block.text : "";
      return [{ type: "text-start", id }, ...(text ? [{ type: "text-delta" as const, id, delta: text }] : [])];
    }
    if (type === "thinking" || type === "redacted_thinking") {
      const id = `reasoning-${index}`;
      const { thinking, ...raw } = block;
      this.blocks.set(index, { kind: "reasoning", id, raw });
      return [{ type: "reasoning-start", id }, ...(typeof thinking === "string" && thinking ? [{ type: "reasoning-delta" as const, id, delta: thinking }] : [])];
    }
    if (type === "tool_use") {
      const id = String(block.id);
      const name = String(block.name);
      const custom = this.options.customTools?.has(name) ?? false;
      this.blocks.set(index, { kind: "tool", id, custom, buffered: "" });
      const input = block.input && typeof block.input === "object" && Object.keys(block.input).length ? JSON.stringify(block.input) : "";
      const out: StreamPart[] = [{ type: "tool-call-start", id, name, kind: custom ? "custom" : "function" }];
      if (input) out.push(...this.delta(index, { type: "input_json_delta", partial_json: input }));
      return out;
    }
    this.blocks.set(index, { kind: "skip" });
    return [];
  }

  private delta(index: number, delta: Raw): StreamPart[] {
    const block = this.blocks.get(index);
    if (!block) throw new UpstreamFormatError("stream", `a delta for block ${index}, which never started`);
    if (block.kind === "text" && delta.type === "text_delta") return [{ type: "text-delta", id: block.id, delta: String(delta.text) }];
    if (block.kind === "reasoning" && delta.type === "thinking_delta") return [{ type: "reasoning-delta", id: block.id, delta: String(delta.thinking) }];
    if (block.kind === "reasoning" && delta.type === "signature_delta") {
      block.raw.signature = delta.signature;
      return [];
    }
    if (block.kind === "tool" && delta.type === "input_json_delta") {
      const json = String(delta.partial_json);
      // A custom tool's text is inside `{"input": …}`: it is released whole at the block's end.
      if (block.custom) {
        block.buffered += json;
        return [];
      }
      return json ? [{ type: "tool-call-delta", id: block.id, delta: json }] : [];
    }
    return [];
  }

  private stop(index: number): StreamPart[] {
    const block = this.blocks.get(index);
    this.blocks.delete(index);
    if (!block || block.kind === "skip") return [];
    if (block.kind === "text") return [{ type: "text-end", id: block.id }];
    if (block.kind === "reasoning") return [{ type: "reasoning-end", id: block.id, native: { api: "messages", raw: block.raw } }];
    const out: StreamPart[] = [];
    if (block.custom) out.push({ type: "tool-call-delta", id: block.id, delta: customText(block.buffered) });
    out.push({ type: "tool-call-end", id: block.id });
    return out;
  }

  /** The upstream's stream ended; one without `message_stop` was cut off. */
  end(): StreamPart[] {
    if (!this.stopped) throw new UpstreamFormatError("stream", "it ended before message_stop (truncated answer)");
    if (this.blocks.size) throw new UpstreamFormatError("stream", "a content block never stopped");
    const usage: Usage | undefined = decodeMessagesUsage(this.usage);
    return [{ type: "finish", finishReason: this.finish ?? "other", ...(usage ? { usage } : {}) }];
  }
}

function customText(json: string): string {
  try {
    const parsed = JSON.parse(json) as { input?: unknown };
    return typeof parsed.input === "string" ? parsed.input : json;
  } catch {
    return json;
  }
}

interface Block {
  index: number;
  /** Reasoning starts late: a redacted block's wire form is known only at its end. */
  started: boolean;
}

/** Writes parts as Messages stream events (objects with their `type`) for one response. */
export class MessagesStreamEncoder {
  private readonly open = new Map<string, Block>();
  private next = 0;
  private sentStart = false;
  private pendingDelta: Raw | undefined;
  private deltaSent = false;

  constructor(private readonly meta: { id: string; model: string }) {}

  private head(): Raw[] {
    if (this.sentStart) return [];
    this.sentStart = true;
    const message = { id: this.meta.id, type: "message", role: "assistant", model: this.meta.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
    return [{ type: "message_start", message }, { type: "ping" }];
  }

  encode(part: StreamPart): Raw[] {
    return [...this.head(), ...this.body(part)];
  }

  private body(part: StreamPart): Raw[] {
    switch (part.type) {
      case "text-start":
        return this.startBlock(`t:${part.id}`, { type: "text", text: "" });
      case "text-delta":
        return part.delta ? this.delta(`t:${part.id}`, { type: "text_delta", text: part.delta }) : [];
      case "text-end":
        return this.stopBlock(`t:${part.id}`);
      case "reasoning-start":
        this.open.set(`r:${part.id}`, { index: this.next++, started: false });
        return [];
      case "reasoning-delta":
        return part.delta ? [...this.startReasoning(`r:${part.id}`), ...this.delta(`r:${part.id}`, { type: "thinking_delta", thinking: part.delta })] : [];
      case "reasoning-end": {
        const raw = part.native?.api === "messages" ? part.native.raw : undefined;
        if (raw?.type === "redacted_thinking") {
          const b = this.open.get(`r:${part.id}`);
          const out = b && !b.started ? [...this.closeOthers(`r:${part.id}`), { type: "content_block_start", index: b.index, content_block: raw }] : [];
          if (b) b.started = true;
          return [...out, ...this.stopBlock(`r:${part.id}`)];
        }
        const start = this.startReasoning(`r:${part.id}`);
        const signature = typeof raw?.signature === "string" && raw.signature ? this.delta(`r:${part.id}`, { type: "signature_delta", signature: raw.signature }) : [];
        return [...start, ...signature, ...this.stopBlock(`r:${part.id}`)];
      }
      case "tool-call-start":
        return this.startBlock(`c:${part.id}`, { type: "tool_use", id: part.id, name: part.name, input: {} });
      case "tool-call-delta":
        return part.delta ? this.delta(`c:${part.id}`, { type: "input_json_delta", partial_json: part.delta }) : [];
      case "tool-call-end":
        return this.stopBlock(`c:${part.id}`);
      case "finish":
        // Held until the report: it rides on the same message_delta.
        this.pendingDelta = {
          type: "message_delta",
          delta: { stop_reason: encodeStopReason(part.finishReason), stop_sequence: null },
          usage: part.usage ? encodeMessagesUsage(part.usage) : { output_tokens: 0 },
        };
        return [];
      default:
        return [];
    }
  }

  /**
   * Anthropic's blocks come one after another, and clients (the SDK's `contentBlock`
   * event, Claude Code) take the last started block as the one that stops: a block that
   * starts closes the ones still open (a chat upstream ends its text only at the finish).
   */
  private startBlock(key: string, block: Raw): Raw[] {
    const closed = this.closeOthers(key);
    const b = { index: this.next++, started: true };
    this.open.set(key, b);
    return [...closed, { type: "content_block_start", index: b.index, content_block: block }];
  }

  private startReasoning(key: string): Raw[] {
    const b = this.open.get(key);
    if (!b || b.started) return [];
    const closed = this.closeOthers(key);
    b.started = true;
    return [...closed, { type: "content_block_start", index: b.index, content_block: { type: "thinking", thinking: "", signature: "" } }];
  }

  private closeOthers(key: string): Raw[] {
    const out: Raw[] = [];
    for (const [k, b] of this.open) {
      if (k === key || !b.started) continue;
      out.push({ type: "content_block_stop", index: b.index });
      this.open.delete(k);
    }
    return out;
  }

  /** A delta of a block that was closed early (an interleaved chat stream) has nowhere to go and is dropped. */
  private delta(key: string, delta: Raw): Raw[] {
    const b = this.open.get(key);
    return b ? [{ type: "content_block_delta", index: b.index, delta }] : [];
  }

  private stopBlock(key: string): Raw[] {
    const b = this.open.get(key);
    this.open.delete(key);
    return b?.started ? [{ type: "content_block_stop", index: b.index }] : [];
  }

  /** The held `message_delta`, with extra top-level fields (the report) that the SDKs ignore. */
  messageDelta(extra: Raw = {}): Raw[] {
    if (this.deltaSent || !this.pendingDelta) return [];
    this.deltaSent = true;
    return [...this.head(), { ...this.pendingDelta, ...extra }];
  }

  stop(): Raw[] {
    const open = [...this.open.values()].filter((b) => b.started).map((b) => ({ type: "content_block_stop", index: b.index }));
    this.open.clear();
    return [...this.head(), ...open, ...this.messageDelta(), { type: "message_stop" }];
  }
}
