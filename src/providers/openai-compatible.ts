/**
 * `openai-compatible`: any server speaking OpenAI's chat-completions API, through
 * the official `openai` SDK. The call is encoded by the chat codec (unknown request
 * fields pass through when the client also spoke chat), and every answer and chunk
 * is checked before use: a malformed or truncated upstream is a 502, never a crash
 * and never an answer that looks complete. With `completions: completions`, text
 * completions (`/v1/completions`) go to the upstream's own `/v1/completions`.
 */
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import { encodeChatRequest } from "../codecs/chat/request.js";
import { decodeChatCompletion } from "../codecs/chat/response.js";
import { ChatStreamDecoder } from "../codecs/chat/stream.js";
import { CompletionStreamDecoder, decodeTextCompletion, encodeCompletionRequest } from "../codecs/completions/index.js";
import type { OpenAICompatibleModelConfig } from "../config/schema.js";
import type { Logger } from "../util/log.js";
import { OpenAIUpstream } from "./openai-upstream.js";
import type { CallOptions, Provider } from "./types.js";

export class OpenAICompatibleProvider extends OpenAIUpstream implements Provider {
  readonly kind = "openai-compatible";
  readonly api = "chat" as const;

  constructor(config: OpenAICompatibleModelConfig, options: { logger?: Logger | undefined } = {}) {
    super(config, options);
  }

  /** A text completion the upstream completes itself (config `completions: completions`). */
  private completes(call: ModelCall): boolean {
    return call.completion !== undefined && this.config.completions === "completions";
  }

  async generate(call: ModelCall, options: CallOptions): Promise<Generation> {
    try {
      if (this.completes(call)) {
        const res: unknown = await this.client.completions.create(encodeCompletionRequest(call, { model: this.config.model, stream: false }) as never, { signal: options.signal });
        return decodeTextCompletion(res);
      }
      const body = encodeChatRequest(call, { model: this.config.model, stream: false });
      const res: unknown = await this.client.chat.completions.create(body as never, { signal: options.signal });
      return decodeChatCompletion(res);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async *stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart> {
    const completes = this.completes(call);
    const body = completes ? encodeCompletionRequest(call, { model: this.config.model, stream: true }) : encodeChatRequest(call, { model: this.config.model, stream: true });
    const decoder = completes ? new CompletionStreamDecoder() : new ChatStreamDecoder();
    try {
      const open = (signal: AbortSignal) => (completes ? this.client.completions.create(body as never, { signal }) : this.client.chat.completions.create(body as never, { signal }));
      const chunks = this.events((signal) => open(signal) as unknown as Promise<AsyncIterable<unknown>>, options.signal);
      for await (const chunk of chunks) yield* decoder.push(chunk);
      yield* decoder.end();
    } catch (err) {
      throw this.mapError(err);
    }
  }
}
