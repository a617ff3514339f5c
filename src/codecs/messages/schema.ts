/**
 * Anthropic's Messages API wire format, as zod schemas: requests as clients send them
 * (the SDKs, Claude Code), and messages and stream events as upstreams send them
 * (checked before use, so a malformed upstream is a 502, never a crash).
 *
 * Objects are `looseObject`: fields we do not model (`cache_control`, `citations`,
 * beta parameters such as `context_management`) are kept and passed on to an upstream
 * that speaks the same API. Block types we do not model (images, documents, server
 * tool results) are accepted as they are.
 */
import { z } from "zod";

/** Block types read field by field; any other `type` is carried as it came. */
const MODELLED_BLOCKS = new Set(["text", "tool_use", "tool_result", "thinking", "redacted_thinking"]);

export const TextBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
const OtherBlock = z.looseObject({
  type: z.string().refine(
    (t) => !MODELLED_BLOCKS.has(t),
    "a block of this type lacks a required field (text: text; tool_use: id, name, input; tool_result: tool_use_id; thinking: thinking; redacted_thinking: data)",
  ),
});

const ToolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});
const ThinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() });
const RedactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking"), data: z.string() });
const ToolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.union([TextBlockSchema, OtherBlock]))]).optional(),
  is_error: z.boolean().optional(),
});

export const ContentBlockSchema = z.union([TextBlockSchema, ToolUseBlock, ToolResultBlock, ThinkingBlock, RedactedThinkingBlock, OtherBlock]);
export type ContentBlock = z.infer<typeof ContentBlockSchema>;

export const MessageParamSchema = z.looseObject({
  /** `system` is not in the public API, but Claude Code 2.1.x sends such turns inside `messages`. */
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(ContentBlockSchema)]),
});
export type MessageParam = z.infer<typeof MessageParamSchema>;

const ToolSchema = z.looseObject({
  name: z.string().min(1),
  /** Absent or "custom" for client tools; a dated type (`bash_20250124`, `web_search_20250305`) for Anthropic's own. */
  type: z.string().nullish(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
});
export type MessagesTool = z.infer<typeof ToolSchema>;

export const ToolChoiceSchema = z.looseObject({
  type: z.enum(["auto", "any", "tool", "none"]),
  name: z.string().optional(),
});

export const MessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(MessageParamSchema).min(1),
  /** Required by the API: Anthropic has no default output limit. */
  max_tokens: z.number().int().positive(),
  system: z.union([z.string(), z.array(TextBlockSchema)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  tools: z.array(ToolSchema).optional(),
  tool_choice: ToolChoiceSchema.optional(),
  metadata: z.looseObject({}).optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequestSchema>;

/** `count_tokens` takes a request without `max_tokens` or `stream`. */
export const CountTokensRequestSchema = MessagesRequestSchema.omit({ max_tokens: true, stream: true }).extend({
  max_tokens: z.number().int().positive().optional(),
});
export type CountTokensRequest = z.infer<typeof CountTokensRequestSchema>;

export const MessagesUsageSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});
export type MessagesUsage = z.infer<typeof MessagesUsageSchema>;

/** An upstream's JSON answer. */
export const MessageSchema = z.looseObject({
  id: z.string(),
  type: z.literal("message"),
  role: z.literal("assistant"),
  model: z.string().nullish(),
  content: z.array(ContentBlockSchema),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: MessagesUsageSchema.nullish(),
});
export type MessagesMessage = z.infer<typeof MessageSchema>;

const Delta = z.union([
  z.looseObject({ type: z.literal("text_delta"), text: z.string() }),
  z.looseObject({ type: z.literal("input_json_delta"), partial_json: z.string() }),
  z.looseObject({ type: z.literal("thinking_delta"), thinking: z.string() }),
  z.looseObject({ type: z.literal("signature_delta"), signature: z.string() }),
  // citations_delta and deltas added later: accepted, not modelled.
  z.looseObject({ type: z.string().refine((t) => !["text_delta", "input_json_delta", "thinking_delta", "signature_delta"].includes(t)) }),
]);

/** One upstream SSE event. Event types we do not know are skipped, as Anthropic asks clients to. */
export const StreamEventSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("message_start"), message: MessageSchema.extend({ content: z.array(z.unknown()) }) }),
  z.looseObject({ type: z.literal("content_block_start"), index: z.number().int().min(0), content_block: ContentBlockSchema }),
  z.looseObject({ type: z.literal("content_block_delta"), index: z.number().int().min(0), delta: Delta }),
  z.looseObject({ type: z.literal("content_block_stop"), index: z.number().int().min(0) }),
  z.looseObject({
    type: z.literal("message_delta"),
    delta: z.looseObject({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }),
    usage: MessagesUsageSchema.nullish(),
  }),
  z.looseObject({ type: z.literal("message_stop") }),
  z.looseObject({ type: z.literal("ping") }),
  z.looseObject({ type: z.literal("error"), error: z.looseObject({ type: z.string(), message: z.string().optional() }) }),
]);
export type StreamEvent = z.infer<typeof StreamEventSchema>;

export const KNOWN_EVENTS = new Set(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping", "error"]);

export const CountTokensResponseSchema = z.looseObject({ input_tokens: z.number().int().min(0) });
