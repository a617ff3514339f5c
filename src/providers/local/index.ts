// Filled in below (local provider); placeholder so the registry compiles.
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../../api/schema.js";
import type { LocalModelConfig } from "../../config/schema.js";
import type { Logger } from "../../util/log.js";
import type { CallOptions, Provider } from "../types.js";

export class LocalProvider implements Provider {
  readonly kind = "local";
  constructor(readonly config: LocalModelConfig, readonly options: { logger?: Logger } = {}) {}
  async init(): Promise<void> {}
  ready(): boolean { return false; }
  async close(): Promise<void> {}
  generate(_r: ChatRequest, _o: CallOptions): Promise<ChatCompletion> { throw new Error("not yet"); }
  // eslint-disable-next-line require-yield
  async *stream(_r: ChatRequest, _o: CallOptions): AsyncIterable<ChatCompletionChunk> { throw new Error("not yet"); }
}
