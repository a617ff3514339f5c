/**
 * Chat-completions SSE chunks ↔ stream parts. The decoder reads an upstream's chunks
 * (checked one by one) into parts and refuses a stream that ends without a finish
 * reason: a truncated answer must not look complete. The encoder writes parts as the
 * chunks OpenAI's clients accumulate.
 */
import type { FinishReason, StreamPart, Usage } from "../../core/parts.js";
import { UpstreamFormatError } from "../errors.js";
import { defined } from "./request.js";
import { decodeFinish, decodeUsage, encodeFinish, encodeUsage } from "./response.js";
import { ChatCompletionChunkSchema } from "./schema.js";

type Raw = Record<string, unknown>;

interface OpenCall {
  id: string;
  started: boolean;
  name?: string;
  custom: boolean;
  /** Arguments that came before the name (some servers send them first). */
  pending: string;
}

/**
 * What every OpenAI chunk carries besides its choice (chat and text completions alike): the
 * response's id, model and creation time (a `response-info` part on the first chunk) and usage.
 */
export class ChunkHead {
  private sawChunk = false;
  usage: Usage | undefined;

  read(chunk: { id?: string | null; model?: string | null; created?: number | null; usage?: unknown }): StreamPart[] {
    const usage = decodeUsage(chunk.usage as Parameters<typeof decodeUsage>[0]);
    if (usage) this.usage = usage;
    if (this.sawChunk) return [];
    this.sawChunk = true;
    return [{ type: "response-info", info: defined({ id: chunk.id ?? undefined, model: chunk.model ?? undefined, created: chunk.created ?? undefined }) }];
  }

  /** The finish part, with usage when the upstream sent it. */
  finish(finishReason: FinishReason): StreamPart {
    return { type: "finish", finishReason, ...(this.usage ? { usage: this.usage } : {}) };
  }
}

export class ChatStreamDecoder {
  private readonly head = new ChunkHead();
  private text = false;
  private reasoning = false;
  private readonly calls = new Map<number, OpenCall>();
  private finish: FinishReason | undefined;

  push(raw: unknown): StreamPart[] {
    const parsed = ChatCompletionChunkSchema.safeParse(raw);
    if (!parsed.success) throw new UpstreamFormatError("stream chunk", parsed.error);
    const chunk = parsed.data;
    const out = this.head.read(chunk);
    const choice = chunk.choices[0];
    if (!choice) return out;
    const delta = choice.delta ?? {};
    if (delta.reasoning_content) {
      if (!this.reasoning) out.push({ type: "reasoning-start", id: "reasoning-0" });
      this.reasoning = true;
      out.push({ type: "reasoning-delta", id: "reasoning-0", delta: delta.reasoning_content });
    }
    if (delta.content) {
      out.push(...this.closeReasoning());
      if (!this.text) out.push({ type: "text-start", id: "text-0" });
      this.text = true;
      out.push({ type: "text-delta", id: "text-0", delta: delta.content });
    }
    for (const d of delta.tool_calls ?? []) out.push(...this.toolDelta(d));
    if (choice.finish_reason) this.finish = decodeFinish(choice.finish_reason);
    return out;
  }

  private toolDelta(d: { index: number; id?: string | null | undefined; function?: { name?: string | null | undefined; arguments?: string | null | undefined } | null | undefined; custom?: { name?: string | null | undefined; input?: string | null | undefined } | null | undefined; type?: string | null | undefined }): StreamPart[] {
    const out: StreamPart[] = [...this.closeReasoning()];
    let call = this.calls.get(d.index);
    if (!call) {
      call = { id: d.id || `call_${d.index}`, started: false, custom: d.type === "custom" || d.custom != null, pending: "" };
      this.calls.set(d.index, call);
    }
    const name = d.function?.name ?? d.custom?.name;
    if (name) call.name = (call.name ?? "") + (call.started ? "" : name);
    const args = (d.function?.arguments ?? "") + (d.custom?.input ?? "");
    if (!call.started && call.name) {
      call.started = true;
      out.push({ type: "tool-call-start", id: call.id, name: call.name, kind: call.custom ? "custom" : "function" });
      if (call.pending) out.push({ type: "tool-call-delta", id: call.id, delta: call.pending });
    }
    if (!args) return out;
    if (call.started) out.push({ type: "tool-call-delta", id: call.id, delta: args });
    else call.pending += args;
    return out;
  }

  private closeReasoning(): StreamPart[] {
    if (!this.reasoning) return [];
    this.reasoning = false;
    return [{ type: "reasoning-end", id: "reasoning-0" }];
  }

  /** The upstream's stream ended; a stream without a finish reason was cut off. */
  end(): StreamPart[] {
    if (!this.finish) throw new UpstreamFormatError("stream", "it ended before a finish reason (truncated answer)");
    const out: StreamPart[] = [...this.closeReasoning()];
    if (this.text) out.push({ type: "text-end", id: "text-0" });
    for (const call of this.calls.values()) {
      if (!call.started) throw new UpstreamFormatError("stream", "a tool call had no name");
      out.push({ type: "tool-call-end", id: call.id });
    }
    out.push(this.head.finish(this.finish));
    return out;
  }
}

/** Writes parts as chat.completion.chunk objects for one response. */
export class ChatStreamEncoder {
  private roleSent = false;
  private readonly toolIndex = new Map<string, { index: number; custom: boolean }>();

  constructor(private readonly meta: { id: string; model: string; created: number; includeUsage: boolean }) {}

  private chunk(delta: Raw, finish: string | null = null): Raw {
    if (!this.roleSent) {
      this.roleSent = true;
      delta = { role: "assistant", ...delta };
    }
    return { id: this.meta.id, object: "chat.completion.chunk", created: this.meta.created, model: this.meta.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  encode(part: StreamPart): Raw[] {
    switch (part.type) {
      case "text-delta":
        return part.delta ? [this.chunk({ content: part.delta })] : [];
      case "reasoning-delta":
        return part.delta ? [this.chunk({ reasoning_content: part.delta })] : [];
      case "tool-call-start": {
        const index = this.toolIndex.size;
        const custom = part.kind === "custom";
        this.toolIndex.set(part.id, { index, custom });
        const call = custom ? { type: "custom", custom: { name: part.name, input: "" } } : { type: "function", function: { name: part.name, arguments: "" } };
        return [this.chunk({ tool_calls: [{ index, id: part.id, ...call }] })];
      }
      case "tool-call-delta": {
        const t = this.toolIndex.get(part.id);
        if (!t || !part.delta) return [];
        return [this.chunk({ tool_calls: [{ index: t.index, ...(t.custom ? { custom: { input: part.delta } } : { function: { arguments: part.delta } }) }] })];
      }
      case "finish": {
        const out = [this.chunk({}, encodeFinish(part.finishReason))];
        if (this.meta.includeUsage && part.usage) out.push({ ...this.base(), choices: [], usage: encodeUsage(part.usage) });
        return out;
      }
      default:
        return [];
    }
  }

  /** A chunk with no choices, like the usage chunk, that carries extra top-level fields (the report). */
  extra(fields: Raw): Raw {
    return { ...this.base(), choices: [], ...fields };
  }

  private base(): Raw {
    return { id: this.meta.id, object: "chat.completion.chunk", created: this.meta.created, model: this.meta.model };
  }
}
