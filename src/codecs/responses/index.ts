/** The OpenAI Responses codec, for the route (client side) and the provider (upstream side). */
import { randomUUID } from "node:crypto";

export { ResponsesRequestSchema, type ResponsesRequest } from "./schema.js";
export { decodeResponsesRequest, encodeResponsesRequest, type DecodedResponses } from "./request.js";
export { decodeResponse, encodeResponse, UpstreamResponseError, type ResponseMeta } from "./response.js";
export { ResponsesStreamDecoder } from "./stream.js";
export { ResponsesEventEncoder, type EventMeta } from "./events.js";
export { responsesStreamWriter } from "./writer.js";

/** `resp_` and 32 hex digits (randomUUID draws from a pooled entropy buffer). */
export function newResponseId(): string {
  return `resp_${randomUUID().replaceAll("-", "")}`;
}
