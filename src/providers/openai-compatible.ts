/**
 * `openai-compatible`: any server speaking OpenAI's chat-completions API, through
 * the official `openai` SDK. The call is encoded by the chat codec (unknown request
 * fields pass through when the client also spoke chat), and every answer and chunk
 * is checked before use: a malformed or truncated upstream is a 502, never a crash
 * and never an answer that looks complete.
 */
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import { encodeChatRequest } from "../codecs/chat/request.js";
import { decodeChatCompletion } from "../codecs/chat/response.js";
import { ChatStreamDecoder } from "../codecs/chat/stream.js";
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

  async generate(call: ModelCall, options: CallOptions): Promise<Generation> {
    const body = encodeChatRequest(call, { model: this.config.model, stream: false });
    try {
      const res: unknown = await this.client.chat.completions.create(body as never, { signal: options.signal });
      return decodeChatCompletion(res);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  async *stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart> {
    const body = encodeChatRequest(call, { model: this.config.model, stream: true });
    const decoder = new ChatStreamDecoder();
    try {
      const chunks = this.events((signal) => this.client.chat.completions.create(body as never, { signal }) as unknown as Promise<AsyncIterable<unknown>>, options.signal);
      for await (const chunk of chunks) yield* decoder.push(chunk);
      yield* decoder.end();
    } catch (err) {
      throw this.mapError(err);
    }
  }
}
