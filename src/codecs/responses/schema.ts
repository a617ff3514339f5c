/**
 * The OpenAI Responses API wire format (`POST /v1/responses`) as zod schemas:
 * requests as clients send them, input and output items, the Response object and
 * the stream events an upstream sends (each checked before use, so a malformed
 * upstream is a 502, never a crash).
 *
 * Objects are `looseObject`: fields we do not model (new parameters, `encrypted_content`,
 * Codex's `client_metadata`) are kept and reach an upstream that speaks the same API.
 * Items are checked one by one against the schema of their `type` (items.ts), so an
 * error names the field (`input[3].call_id`) and item types we do not know pass through.
 */
import { z } from "zod";

/** One item of `input` or `output`, before it is checked against the schema of its type. */
export const AnyItemSchema = z.looseObject({ type: z.string().optional() });
export type AnyItem = z.infer<typeof AnyItemSchema>;

const ContentPart = z.looseObject({ type: z.string() });
const TextContent = z.looseObject({ type: z.enum(["input_text", "output_text"]), text: z.string() });
export const RefusalContent = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });
export const TextContentSchema = TextContent;

export const MessageItemSchema = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(ContentPart)]),
  id: z.string().optional(),
});
export type MessageItem = z.infer<typeof MessageItemSchema>;

export const FunctionCallItemSchema = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  /** Set when the tool belongs to a `namespace` tool. */
  namespace: z.string().nullish(),
  id: z.string().nullish(),
});

export const CustomToolCallItemSchema = z.looseObject({
  type: z.literal("custom_tool_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  input: z.string(),
  namespace: z.string().nullish(),
  id: z.string().nullish(),
});

/** `output` is a string or content parts (text, images, files). */
export const ToolOutputItemSchema = z.looseObject({
  type: z.enum(["function_call_output", "custom_tool_call_output"]),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(ContentPart)]),
});

const SummaryPart = z.looseObject({ type: z.string(), text: z.string() });
export const ReasoningItemSchema = z.looseObject({
  type: z.literal("reasoning"),
  id: z.string().nullish(),
  summary: z.array(SummaryPart).nullish(),
  content: z.array(SummaryPart).nullish(),
  encrypted_content: z.string().nullish(),
});
export type ReasoningItem = z.infer<typeof ReasoningItemSchema>;

/** A function or custom tool, top level or inside a namespace. */
export const FunctionToolSchema = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export const CustomToolSchema = z.looseObject({
  type: z.literal("custom"),
  name: z.string().min(1),
  description: z.string().nullish(),
  /** `{type: "text"}` or `{type: "grammar", syntax, definition}` (Codex's apply_patch). */
  format: z.looseObject({ type: z.string() }).nullish(),
});
export const NamespaceToolSchema = z.looseObject({
  type: z.literal("namespace"),
  name: z.string().min(1),
  description: z.string().nullish(),
  tools: z.array(z.union([FunctionToolSchema, CustomToolSchema])),
});
/** Built-in tools (`web_search`, `file_search`, `tool_search`, …) are any other `type`. */
export const ToolSchema = z.looseObject({ type: z.string().min(1) });

export const ResponsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(AnyItemSchema)]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(ToolSchema).nullish(),
  tool_choice: z.union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.string() })]).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  include: z.array(z.string()).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).nullish() }).nullish(),
  reasoning: z.looseObject({}).nullish(),
  prompt_cache_key: z.string().nullish(),
  user: z.string().nullish(),
  /** Runs the response in the background: needs stored responses, which the gateway does not keep. */
  background: z.boolean().nullish(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

export const ResponsesUsageSchema = z.looseObject({
  input_tokens: z.number(),
  output_tokens: z.number(),
  total_tokens: z.number(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});
export type ResponsesUsage = z.infer<typeof ResponsesUsageSchema>;

const ErrorObject = z.looseObject({ message: z.string().nullish(), code: z.string().nullish() });

/** An upstream's Response object (JSON answer, and inside the lifecycle events of a stream). */
export const ResponseObjectSchema = z.looseObject({
  id: z.string().min(1),
  object: z.string().nullish(),
  created_at: z.number().nullish(),
  model: z.string().nullish(),
  status: z.string().nullish(),
  output: z.array(AnyItemSchema),
  usage: ResponsesUsageSchema.nullish(),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  error: ErrorObject.nullish(),
});
export type ResponseObject = z.infer<typeof ResponseObjectSchema>;

/** Stream events: every one has a `type`; the ones we read are checked by their own schema below. */
export const StreamEventSchema = z.looseObject({ type: z.string().min(1), sequence_number: z.number().nullish() });

const At = { item_id: z.string(), output_index: z.number().int().min(0) };
export const StreamEventSchemas = {
  lifecycle: z.looseObject({ response: ResponseObjectSchema }),
  itemAdded: z.looseObject({ output_index: z.number().int().min(0), item: AnyItemSchema.extend({ type: z.string(), id: z.string().nullish() }) }),
  itemDone: z.looseObject({ output_index: z.number().int().min(0), item: AnyItemSchema.extend({ type: z.string(), id: z.string().nullish() }) }),
  delta: z.looseObject({ ...At, delta: z.string() }),
  contentPart: z.looseObject({ ...At, content_index: z.number().int().min(0) }),
  textDelta: z.looseObject({ ...At, content_index: z.number().int().min(0), delta: z.string() }),
  textDone: z.looseObject({ ...At, content_index: z.number().int().min(0), text: z.string() }),
  argumentsDone: z.looseObject({ ...At, arguments: z.string() }),
  inputDone: z.looseObject({ ...At, input: z.string() }),
  summaryPartAdded: z.looseObject({ ...At, summary_index: z.number().int().min(0) }),
  error: z.looseObject({ message: z.string().nullish(), code: z.string().nullish(), error: ErrorObject.nullish() }),
};
