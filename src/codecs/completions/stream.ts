/**
 * Completions SSE chunks ↔ stream parts. The decoder refuses a stream that ends
 * without a finish reason (a truncated completion must not look complete); the encoder
 * writes `text_completion` chunks with `choices[0].text`, as OpenAI does.
 */
import type { FinishReason, StreamPart, Usage } from "../../core/parts.js";
import { defined } from "../chat/request.js";
import { decodeUsage, encodeUsage } from "../chat/response.js";
import { UpstreamFormatError } from "../errors.js";
import { decodeCompletionFinish, encodeCompletionFinish } from "./response.js";
import { TextCompletionChunkSchema } from "./schema.js";

type Raw = Record<string, unknown>;
const TEXT = "text-0";

export class CompletionStreamDecoder {
  private sawChunk = false;
  private text = false;
  private finish: FinishReason | undefined;
  private usage: Usage | undefined;

  push(raw: unknown): StreamPart[] {
    const parsed = TextCompletionChunkSchema.safeParse(raw);
    if (!parsed.success) throw new UpstreamFormatError("stream chunk", parsed.error);
    const chunk = parsed.data;
    const out: StreamPart[] = [];
    if (!this.sawChunk) {
      this.sawChunk = true;
      out.push({ type: "response-info", info: defined({ id: chunk.id ?? undefined, model: chunk.model ?? undefined, created: chunk.created ?? undefined }) });
    }
    const usage = decodeUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choice = chunk.choices[0];
    if (!choice) return out;
    if (choice.text) {
      if (!this.text) out.push({ type: "text-start", id: TEXT });
      this.text = true;
      out.push({ type: "text-delta", id: TEXT, delta: choice.text });
    }
    if (choice.finish_reason) this.finish = decodeCompletionFinish(choice.finish_reason);
    return out;
  }

  end(): StreamPart[] {
    if (!this.finish) throw new UpstreamFormatError("stream", "it ended before a finish reason (truncated completion)");
    return [...(this.text ? [{ type: "text-end" as const, id: TEXT }] : []), { type: "finish", finishReason: this.finish, ...(this.usage ? { usage: this.usage } : {}) }];
  }
}

/** Writes parts as text_completion chunks; reasoning and tool calls have no place in a completion. */
export class CompletionStreamEncoder {
  constructor(private readonly meta: { id: string; model: string; created: number; includeUsage: boolean }) {}

  private base(): Raw {
    return { id: this.meta.id, object: "text_completion", created: this.meta.created, model: this.meta.model };
  }

  encode(part: StreamPart): Raw[] {
    if (part.type === "text-delta" && part.delta) return [{ ...this.base(), choices: [{ text: part.delta, index: 0, logprobs: null, finish_reason: null }] }];
    if (part.type !== "finish") return [];
    const out: Raw[] = [{ ...this.base(), choices: [{ text: "", index: 0, logprobs: null, finish_reason: encodeCompletionFinish(part.finishReason) }] }];
    if (this.meta.includeUsage && part.usage) out.push({ ...this.base(), choices: [], usage: encodeUsage(part.usage) });
    return out;
  }

  /** A chunk without choices, like the usage chunk, carrying extra fields (the report). */
  extra(fields: Raw): Raw {
    return { ...this.base(), choices: [], ...fields };
  }
}
