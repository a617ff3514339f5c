/** The chat-completions codec, for the route (client side) and the provider (upstream side). */
export { ChatRequestSchema, type ChatRequest } from "./schema.js";
export { decodeChatRequest, encodeChatRequest, type DecodedChat } from "./request.js";
export { decodeChatCompletion, encodeChatCompletion } from "./response.js";
export { ChatStreamDecoder, ChatStreamEncoder } from "./stream.js";
export { chatStreamWriter } from "./writer.js";
