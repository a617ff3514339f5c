/** The legacy completions codec (editor autocomplete), for the route and the providers. */
export { CompletionRequestSchema, type CompletionRequest } from "./schema.js";
export { decodeCompletionRequest, encodeCompletionRequest, type DecodedCompletion } from "./request.js";
export { decodeTextCompletion, encodeTextCompletion } from "./response.js";
export { CompletionStreamDecoder, CompletionStreamEncoder } from "./stream.js";
export { completionStreamWriter } from "./writer.js";
export { completionLanguage } from "./language.js";
