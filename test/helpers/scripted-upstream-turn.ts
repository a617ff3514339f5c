/**
 * The API-neutral side of the scripted upstream: what "the model" answers
 * (`ModelAnswer`), what it sees (`ModelTurn`, decoded from a chat completions,
 * Responses or Messages request), and the frame plan every wire encoder returns.
 *
 * A test scripts the model once and the upstream encodes the answer in whichever
 * API the client called, JSON or stream:
 *
 *   up.setModel((turn) => turn.toolResults.length === 0
 *     ? { toolCalls: [{ name: "run_shell_command", input: { command: "pip install x" } }] }
 *     : { text: "Installed." });
 */
import { z } from "zod";

export type Api = "chat" | "responses" | "messages" | "completions";

export interface ToolCallSpec {
  name: string;
  /** The call's arguments; JSON-encoded on the wire (a string for a custom tool). */
  input: unknown;
  /** Wire id (`call_id` / `tool_use` id); generated when absent. */
  id?: string;
  /** Exact `arguments` text to send instead of JSON.stringify(input) (e.g. malformed JSON). */
  arguments?: string;
  /**
   * Responses API only: a freeform `custom_tool_call` whose `input` is a plain
   * string, which is how Codex declares `apply_patch` for gpt-5 family models.
   */
  custom?: boolean;
}

export interface ModelAnswer {
  text?: string;
  toolCalls?: ToolCallSpec[];
  /** Stream the text in exactly these pieces (default: word by word). */
  textChunks?: string[];
  /** Characters per streamed argument delta (default 8, so arguments arrive in many pieces). */
  argChunkSize?: number;
  /** Chat completions only: the finish_reason to send (default `tool_calls` / `stop`). */
  finishReason?: string;
}

export interface ToolResult {
  callId: string;
  output: string;
}

/** What the scripted model sees of a request, the same for all three APIs. */
export interface ModelTurn {
  api: Api;
  stream: boolean;
  model: string;
  /** Names of the tools the client offered (namespaced tools flattened). */
  tools: string[];
  /** Earlier assistant tool calls in the conversation, oldest first. */
  toolCalls: Array<{ callId: string; name: string }>;
  /** Tool results the client sent back, oldest first. */
  toolResults: ToolResult[];
  /** Text of the last user message (all its text parts joined). */
  lastUserText: string;
  /** The raw request body. */
  body: unknown;
}

/** One server-sent event; `data` is JSON-encoded unless it is the literal "[DONE]". */
export interface Frame {
  event?: string;
  data: unknown;
}

/** A stream as the encoders plan it: `body` frames are the ones a delay precedes and a reset cuts. */
export interface StreamPlan {
  head: Frame[];
  body: Frame[];
  tail: Frame[];
}

export interface EncodeContext {
  model: string;
  includeUsage: boolean;
  /** Deterministic ids: `nextId("call")` → `call_1`, `call_2`, ... */
  nextId(prefix: string): string;
}

export function argumentsText(call: ToolCallSpec): string {
  if (call.arguments !== undefined) return call.arguments;
  if (call.custom) {
    if (typeof call.input !== "string") throw new Error(`custom tool call ${call.name}: input must be a string`);
    return call.input;
  }
  return JSON.stringify(call.input ?? {});
}

/** Splits `s` into pieces of `size` characters (at least one piece, possibly empty). */
export function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += Math.max(1, size)) out.push(s.slice(i, i + Math.max(1, size)));
  return out.length ? out : [""];
}

export function textPieces(answer: ModelAnswer): string[] {
  if (answer.textChunks) return answer.textChunks;
  if (!answer.text) return [];
  return answer.text.match(/\S+\s*|\s+/g) ?? [answer.text];
}

export function answerText(answer: ModelAnswer): string {
  return answer.textChunks ? answer.textChunks.join("") : (answer.text ?? "");
}

/** A rough token count for usage fields (4 characters a token). */
export function roughTokens(s: string): number {
  return Math.max(1, Math.ceil(s.length / 4));
}

// ---------------------------------------------------------------------------
// Request decoding. Only the fields the scripted model reads are parsed; the
// rest of the body stays available raw in `ModelTurn.body`.

const textPart = z.object({ type: z.string(), text: z.string().optional() });
const contentSchema = z.union([z.string(), z.array(textPart), z.null()]).optional();

function joinText(content: z.infer<typeof contentSchema>): string {
  if (!content) return "";
  if (typeof content === "string") return content;
  return content.map((p) => p.text ?? "").join("");
}

const chatRequest = z.object({
  model: z.string(),
  stream: z.boolean().nullish(),
  tools: z.array(z.object({ type: z.string(), function: z.object({ name: z.string() }).optional(), custom: z.object({ name: z.string() }).optional() })).nullish(),
  messages: z.array(
    z.object({
      role: z.string(),
      content: contentSchema,
      tool_call_id: z.string().optional(),
      tool_calls: z.array(z.object({ id: z.string(), function: z.object({ name: z.string() }).optional(), custom: z.object({ name: z.string() }).optional() })).nullish(),
    }),
  ),
});

function decodeChat(body: unknown): Omit<ModelTurn, "api" | "body"> {
  const req = chatRequest.parse(body);
  const turn = emptyTurn(req.model, req.stream ?? false);
  turn.tools = (req.tools ?? []).map((t) => t.function?.name ?? t.custom?.name ?? t.type);
  for (const m of req.messages) {
    if (m.role === "user") turn.lastUserText = joinText(m.content);
    if (m.role === "tool") turn.toolResults.push({ callId: m.tool_call_id ?? "", output: joinText(m.content) });
    for (const c of m.tool_calls ?? []) turn.toolCalls.push({ callId: c.id, name: c.function?.name ?? c.custom?.name ?? "" });
  }
  return turn;
}

type ResponsesTool = { type: string; name?: string; tools?: ResponsesTool[] };
const responsesTool: z.ZodType<ResponsesTool> = z.lazy(() =>
  z.object({ type: z.string(), name: z.string().optional(), tools: z.array(responsesTool).optional() }),
);
const responsesItem = z.object({
  type: z.string().optional(),
  role: z.string().optional(),
  content: contentSchema,
  call_id: z.string().optional(),
  name: z.string().optional(),
  output: z.union([z.string(), z.array(textPart)]).optional(),
});
const responsesRequest = z.object({
  model: z.string(),
  stream: z.boolean().nullish(),
  input: z.union([z.string(), z.array(responsesItem)]),
  tools: z.array(responsesTool).nullish(),
});

function flattenTools(tools: ResponsesTool[]): string[] {
  return tools.flatMap((t) => (t.type === "namespace" ? flattenTools(t.tools ?? []) : [t.name ?? t.type]));
}

function decodeResponses(body: unknown): Omit<ModelTurn, "api" | "body"> {
  const req = responsesRequest.parse(body);
  const turn = emptyTurn(req.model, req.stream ?? false);
  turn.tools = flattenTools(req.tools ?? []);
  if (typeof req.input === "string") {
    turn.lastUserText = req.input;
    return turn;
  }
  for (const item of req.input) {
    const type = item.type ?? "message";
    if (type === "message" && item.role === "user") turn.lastUserText = joinText(item.content);
    if (type === "function_call" || type === "custom_tool_call") turn.toolCalls.push({ callId: item.call_id ?? "", name: item.name ?? "" });
    if (type === "function_call_output" || type === "custom_tool_call_output") {
      const output = typeof item.output === "string" ? item.output : joinText(item.output);
      turn.toolResults.push({ callId: item.call_id ?? "", output });
    }
  }
  return turn;
}

const messagesBlock = z.object({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  tool_use_id: z.string().optional(),
  content: z.union([z.string(), z.array(textPart)]).optional(),
});
const messagesRequest = z.object({
  model: z.string(),
  stream: z.boolean().nullish(),
  tools: z.array(z.object({ name: z.string() })).nullish(),
  messages: z.array(z.object({ role: z.string(), content: z.union([z.string(), z.array(messagesBlock)]) })),
});

function decodeMessages(body: unknown): Omit<ModelTurn, "api" | "body"> {
  const req = messagesRequest.parse(body);
  const turn = emptyTurn(req.model, req.stream ?? false);
  turn.tools = (req.tools ?? []).map((t) => t.name);
  for (const m of req.messages) {
    const blocks = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    // A user message that only carries tool results is not what the user typed.
    const text = blocks.filter((b) => b.type === "text").map((b) => b.text ?? "").join("");
    if (m.role === "user" && text) turn.lastUserText = text;
    for (const b of blocks) {
      if (b.type === "tool_use") turn.toolCalls.push({ callId: b.id ?? "", name: b.name ?? "" });
      if (b.type === "tool_result") {
        const output = typeof b.content === "string" ? b.content : joinText(b.content);
        turn.toolResults.push({ callId: b.tool_use_id ?? "", output });
      }
    }
  }
  return turn;
}

const completionsRequest = z.object({ model: z.string(), stream: z.boolean().nullish(), prompt: z.union([z.string(), z.array(z.string())]), suffix: z.string().nullish() });

/** A text completion: the model "sees" the prompt (and suffix) as the user's text. */
function decodeCompletions(body: unknown): Omit<ModelTurn, "api" | "body"> {
  const req = completionsRequest.parse(body);
  const turn = emptyTurn(req.model, req.stream ?? false);
  turn.lastUserText = typeof req.prompt === "string" ? req.prompt : req.prompt.join("");
  return turn;
}

function emptyTurn(model: string, stream: boolean): Omit<ModelTurn, "api" | "body"> {
  return { model, stream, tools: [], toolCalls: [], toolResults: [], lastUserText: "" };
}

const decoders: Record<Api, (body: unknown) => Omit<ModelTurn, "api" | "body">> = {
  chat: decodeChat,
  responses: decodeResponses,
  messages: decodeMessages,
  completions: decodeCompletions,
};

/** Decodes a request body of `api`; throws a readable error when it is not a valid request. */
export function decodeTurn(api: Api, body: unknown): ModelTurn {
  const parsed = decoders[api](body);
  return { api, body, ...parsed };
}
