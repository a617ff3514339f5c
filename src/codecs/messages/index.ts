/** The Anthropic Messages codec, for the route (client side) and the anthropic provider (upstream side). */
export { MessagesRequestSchema, CountTokensRequestSchema, CountTokensResponseSchema, type MessagesRequest } from "./schema.js";
export { decodeMessagesRequest, encodeMessagesRequest, type DecodedMessages } from "./request.js";
export { decodeMessagesResponse, encodeMessagesResponse } from "./response.js";
export { MessagesStreamDecoder, MessagesStreamEncoder, UpstreamStreamError } from "./stream.js";
export { messagesStreamWriter, messagesErrorBody } from "./writer.js";
