/**
 * Helpers over parts that every layer shares: the text of an answer, a stream
 * collected into a `Generation`, and a `Generation` replayed as a stream.
 */
import type { AnswerPart, FinishReason, Generation, ResponseInfo, StreamPart, ToolCallPart, Usage } from "./parts.js";

/** The answer's text parts, joined (what a reader sees, without reasoning or tool calls). */
export function textOf(content: readonly AnswerPart[]): string {
  let out = "";
  for (const p of content) if (p.type === "text") out += p.text;
  return out;
}

export function toolCallsOf(content: readonly AnswerPart[]): ToolCallPart[] {
  return content.filter((p): p is ToolCallPart => p.type === "tool-call");
}

export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!b) return a;
  if (!a) return { ...b };
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

export function isStreamPart(part: { type: string }): part is StreamPart {
  return STREAM_TYPES.has(part.type);
}

const STREAM_TYPES = new Set<string>([
  "response-info", "text-start", "text-delta", "text-end", "reasoning-start", "reasoning-delta", "reasoning-end",
  "tool-call-start", "tool-call-delta", "tool-call-end", "finish",
]);

/**
 * Builds a `Generation` from stream parts as they come. Parts of one kind with the
 * same id accumulate in order of their start, so text, reasoning and tool calls keep
 * the order the model produced them in.
 */
export class GenerationBuilder {
  private readonly content: AnswerPart[] = [];
  private readonly open = new Map<string, AnswerPart>();
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;
  private metadata: Record<string, unknown> | undefined;
  private info: ResponseInfo = {};

  push(part: StreamPart): void {
    switch (part.type) {
      case "response-info":
        this.info = { ...this.info, ...part.info };
        return;
      case "text-start":
        this.start(`t:${part.id}`, { type: "text", text: "" });
        return;
      case "reasoning-start":
        this.start(`r:${part.id}`, { type: "reasoning", text: "" });
        return;
      case "tool-call-start":
        this.start(`c:${part.id}`, { type: "tool-call", id: part.id, name: part.name, input: "", kind: part.kind });
        return;
      case "text-delta":
      case "reasoning-delta": {
        const key = `${part.type === "text-delta" ? "t" : "r"}:${part.id}`;
        const open = this.open.get(key) ?? this.start(key, part.type === "text-delta" ? { type: "text", text: "" } : { type: "reasoning", text: "" });
        (open as { text: string }).text += part.delta;
        return;
      }
      case "tool-call-delta": {
        const open = this.open.get(`c:${part.id}`);
        if (open?.type === "tool-call") open.input += part.delta;
        return;
      }
      case "reasoning-end": {
        const open = this.open.get(`r:${part.id}`);
        if (open && part.native) (open as { native?: unknown }).native = part.native;
        this.open.delete(`r:${part.id}`);
        return;
      }
      case "text-end":
        this.open.delete(`t:${part.id}`);
        return;
      case "tool-call-end":
        this.open.delete(`c:${part.id}`);
        return;
      case "finish":
        this.finishReason = part.finishReason;
        if (part.usage) this.usage = part.usage;
        if (part.metadata) this.metadata = part.metadata;
        return;
    }
  }

  private start(key: string, part: AnswerPart): AnswerPart {
    this.content.push(part);
    this.open.set(key, part);
    return part;
  }

  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  build(): Generation {
    return {
      content: this.content.filter((p) => p.type !== "text" || p.text !== ""),
      finishReason: this.finishReason ?? "other",
      ...(this.usage ? { usage: this.usage } : {}),
      response: this.info,
      ...(this.metadata ? { metadata: this.metadata } : {}),
    };
  }
}

/** Drains a stream into one `Generation`; parts that are not stream parts (records) are returned apart. */
export async function collectStream<P extends { type: string }>(
  stream: AsyncIterable<StreamPart | P>,
): Promise<{ generation: Generation; others: P[] }> {
  const builder = new GenerationBuilder();
  const others: P[] = [];
  for await (const part of stream) {
    if (isStreamPart(part)) builder.push(part);
    else others.push(part as P);
  }
  return { generation: builder.build(), others };
}

/** Replays a finished answer as a stream: info, each part whole, then finish. */
export function* replayGeneration(g: Generation): Generator<StreamPart> {
  yield { type: "response-info", info: g.response };
  let n = 0;
  for (const p of g.content) {
    const id = p.type === "tool-call" ? p.id : `${p.type}-${n++}`;
    if (p.type === "text") {
      yield { type: "text-start", id };
      if (p.text) yield { type: "text-delta", id, delta: p.text };
      yield { type: "text-end", id };
    } else if (p.type === "reasoning") {
      yield { type: "reasoning-start", id };
      if (p.text) yield { type: "reasoning-delta", id, delta: p.text };
      yield { type: "reasoning-end", id, ...(p.native ? { native: p.native } : {}) };
    } else if (p.type === "tool-call") {
      yield { type: "tool-call-start", id, name: p.name, kind: p.kind };
      if (p.input) yield { type: "tool-call-delta", id, delta: p.input };
      yield { type: "tool-call-end", id };
    }
  }
  yield { type: "finish", finishReason: g.finishReason, ...(g.usage ? { usage: g.usage } : {}), ...(g.metadata ? { metadata: g.metadata } : {}) };
}
