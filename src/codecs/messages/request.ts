/**
 * Messages requests ↔ `ModelCall`. `decodeMessagesRequest` reads what a client sent;
 * `encodeMessagesRequest` writes what an Anthropic upstream gets. Every block keeps its
 * wire form in `native`, so an Anthropic upstream receives `cache_control`, thinking
 * signatures and block types we do not model unchanged; the typed fields always win, so
 * a mitigation's edit (RAG's system text, a repair's tool result) reaches it.
 *
 * Anthropic keeps tool results inside user turns; the core has tool messages. A user
 * turn is split into a tool message and a user message, and consecutive turns of one
 * role are joined again on the way out (the API joins them anyway).
 */
import type { AnswerPart, Message, ModelCall, Native, OpaquePart, TextPart, ToolChoice, ToolDefinition, ToolResultPart } from "../../core/parts.js";
import { defined, extraFields } from "../chat/request.js";
import type { ContentBlock, MessageParam, MessagesRequest, MessagesTool } from "./schema.js";

const API = "messages" as const;
type Raw = Record<string, unknown>;

/** Request fields the core models; everything else (metadata, thinking, betas' fields) travels in `call.native.extra`. */
const MODELLED = new Set(["model", "messages", "system", "max_tokens", "stop_sequences", "stream", "temperature", "top_p", "top_k", "tools"]);

/**
 * Request headers an Anthropic upstream must see too: beta features and the API version
 * change what the body may hold, and the body passes through as the client wrote it.
 */
export const PASSED_HEADERS = ["anthropic-beta", "anthropic-version"] as const;

export interface DecodedMessages {
  call: ModelCall;
  model: string;
  stream: boolean;
}

export function decodeMessagesRequest(req: MessagesRequest, headers: Record<string, string | undefined> = {}): DecodedMessages {
  const extra = extraFields(req, MODELLED);
  const passed: Record<string, string> = {};
  for (const h of PASSED_HEADERS) if (headers[h]) passed[h] = headers[h];
  const system = decodeSystem(req.system);
  const call: ModelCall = {
    prompt: [...(system ? [system] : []), ...req.messages.flatMap(decodeMessage)],
    ...defined({
      tools: req.tools?.map(decodeTool),
      toolChoice: decodeToolChoice(req.tool_choice),
      maxOutputTokens: req.max_tokens,
      temperature: req.temperature,
      topP: req.top_p,
      topK: req.top_k,
      stop: req.stop_sequences?.length ? req.stop_sequences : undefined,
    }),
    native: { api: API, extra, ...(Object.keys(passed).length ? { headers: passed } : {}) },
  };
  return { call, model: req.model, stream: req.stream === true };
}

function native(raw: object): Native {
  return { api: API, raw: raw as Raw };
}

function decodeSystem(system: MessagesRequest["system"]): Message | undefined {
  if (system === undefined) return undefined;
  const content: TextPart[] = typeof system === "string" ? (system ? [{ type: "text", text: system }] : []) : system.map((b) => ({ type: "text", text: b.text, native: native(b) }));
  return { role: "system", content };
}

function blocksOf(content: MessageParam["content"]): ContentBlock[] {
  return typeof content === "string" ? (content ? [{ type: "text", text: content }] : []) : content;
}

function decodeMessage(m: MessageParam): Message[] {
  const blocks = blocksOf(m.content);
  if (m.role === "system") {
    // Kept in place with its wire form: an Anthropic upstream gets it back where it was.
    const content = blocks.filter((b) => b.type === "text").map((b) => ({ type: "text" as const, text: (b as { text: string }).text, native: native(b) }));
    return [{ role: "system", content, native: native(m) }];
  }
  if (m.role === "assistant") return [{ role: "assistant", content: blocks.map(decodeAnswerBlock), native: native(m) }];
  // A user turn: runs of tool results become tool messages, the rest user messages, in order.
  const out: Message[] = [];
  for (const b of blocks) {
    const last = out.at(-1);
    if (b.type === "tool_result") {
      const part = decodeToolResult(b as Extract<ContentBlock, { type: "tool_result" }>);
      if (last?.role === "tool") last.content.push(part);
      else out.push({ role: "tool", content: [part] });
    } else {
      const part: TextPart | OpaquePart = b.type === "text" ? { type: "text", text: (b as { text: string }).text, native: native(b) } : { type: "opaque", native: native(b) };
      if (last?.role === "user") last.content.push(part);
      else out.push({ role: "user", content: [part], native: native(m) });
    }
  }
  return out;
}

/** The text of a tool result's content (string, or the text of its blocks). */
export function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b: { type?: string; text?: unknown }) => (b?.type === "text" && typeof b.text === "string" ? b.text : "")).join("");
}

function decodeToolResult(b: Extract<ContentBlock, { type: "tool_result" }>): ToolResultPart {
  return { type: "tool-result", callId: b.tool_use_id, output: resultText(b.content), ...(b.is_error !== undefined ? { isError: b.is_error } : {}), native: native(b) };
}

/** A content block of an assistant turn (request or answer) as a part. */
export function decodeAnswerBlock(b: ContentBlock): AnswerPart {
  switch (b.type) {
    case "text":
      return { type: "text", text: (b as { text: string }).text, native: native(b) };
    case "tool_use": {
      const u = b as Extract<ContentBlock, { type: "tool_use" }>;
      return { type: "tool-call", id: u.id, name: u.name, input: JSON.stringify(u.input ?? {}), kind: "function", native: native(b) };
    }
    case "thinking":
      return { type: "reasoning", text: (b as { thinking: string }).thinking, native: native(b) };
    case "redacted_thinking":
      return { type: "reasoning", text: "", native: native(b) };
    default:
      return { type: "opaque", native: native(b) };
  }
}

function decodeTool(t: MessagesTool): ToolDefinition {
  if (t.type && t.type !== "custom") return { name: t.name, kind: "provider", native: native(t) };
  return { name: t.name, kind: "function", ...defined({ description: t.description, inputSchema: t.input_schema }), native: native(t) };
}

function decodeToolChoice(choice: MessagesRequest["tool_choice"]): ToolChoice | undefined {
  if (!choice) return undefined;
  if (choice.type === "any") return "required";
  if (choice.type === "tool") return choice.name ? { name: choice.name } : "required";
  return choice.type;
}

// ---------------------------------------------------------------------------
// ModelCall → the body an Anthropic upstream gets.

export interface EncodeOptions {
  model: string;
  stream: boolean;
  /** Used when the call has no output limit (the API requires one). */
  defaultMaxTokens: number;
}

export function encodeMessagesRequest(call: ModelCall, options: EncodeOptions): Raw {
  const sameApi = call.native?.api === API;
  const extra = sameApi ? call.native!.extra : {};
  const system = call.prompt.filter(isTopSystem).flatMap((m) => m.content);
  const customTools = new Set(call.tools?.filter((t) => t.kind === "custom").map((t) => t.name));
  const body: Raw = { ...extra, model: options.model, messages: joinTurns(call.prompt.filter((m) => !isTopSystem(m)).flatMap((m) => encodeMessage(m, customTools))) };
  const tools = call.tools?.flatMap(encodeTool) ?? [];
  Object.assign(body, defined({
    system: system.length ? encodeText(system) : undefined,
    max_tokens: call.maxOutputTokens ?? options.defaultMaxTokens,
    stop_sequences: call.stop?.length ? call.stop : undefined,
    temperature: call.temperature,
    top_p: call.topP,
    top_k: call.topK,
    tools: tools.length ? tools : undefined,
    tool_choice: encodeToolChoice(call.toolChoice, extra.tool_choice),
  }));
  if (!tools.length || call.toolChoice === undefined) delete body.tool_choice;
  body.stream = options.stream;
  return body;
}

/** A system message that goes to `system`: all but those that came inside `messages` (Claude Code's). */
function isTopSystem(m: Message): m is Extract<Message, { role: "system" }> {
  return m.role === "system" && !(m.native?.api === API && m.native.raw.role === "system");
}

function base(n: Native | undefined): Raw {
  return n?.api === API ? { ...n.raw } : {};
}

/** A plain string unless a block needs its wire form (`cache_control`, citations). */
function encodeText(parts: readonly TextPart[]): string | Raw[] {
  const plain = parts.every((p) => p.native?.api !== API || Object.keys(p.native.raw).every((k) => k === "type" || k === "text"));
  if (plain) return parts.map((p) => p.text).join("");
  return parts.map((p) => ({ ...base(p.native), type: "text", text: p.text }));
}

function encodeMessage(m: Message, customTools: Set<string>): Raw[] {
  switch (m.role) {
    case "system":
      return [{ ...base(m.native), role: "system", content: encodeText(m.content) }];
    case "user": {
      const texts = m.content.filter((p): p is TextPart => p.type === "text");
      // A string when it came as one (or from another API) and holds only text.
      if (texts.length === m.content.length && (m.native?.api !== API || typeof m.native.raw.content === "string")) {
        const text = encodeText(texts);
        return text.length ? [{ role: "user", content: text }] : [];
      }
      const content = m.content.flatMap((p) => (p.type === "text" ? [{ ...base(p.native), type: "text", text: p.text }] : p.native.api === API ? [p.native.raw] : []));
      return content.length ? [{ role: "user", content }] : [];
    }
    case "assistant": {
      const content = m.content.flatMap((p) => encodeAnswerPart(p, customTools));
      return content.length ? [{ role: "assistant", content }] : [];
    }
    case "tool":
      return [{ role: "user", content: m.content.map(encodeToolResult) }];
  }
}

function encodeToolResult(r: ToolResultPart): Raw {
  const raw = base(r.native);
  // The wire content (images, several blocks) when the text is what it was; the edited text otherwise.
  const content = raw.content !== undefined && resultText(raw.content) === r.output ? raw.content : r.output;
  const out: Raw = { ...raw, type: "tool_result", tool_use_id: r.callId, content };
  if (r.isError !== undefined) out.is_error = r.isError;
  return out;
}

/** An answer part as a content block, for the request's history and for answers alike. */
export function encodeAnswerPart(p: AnswerPart, customTools: ReadonlySet<string> = new Set()): Raw[] {
  const raw = base(p.native);
  switch (p.type) {
    case "text":
      return p.text || raw.type ? [{ ...raw, type: "text", text: p.text }] : [];
    case "reasoning":
      // Thinking blocks are only valid with their signature: reasoning from another API is not sent.
      if (raw.type === "redacted_thinking") return [raw];
      return raw.type === "thinking" ? [{ ...raw, thinking: p.text }] : [];
    case "tool-call":
      return [{ ...raw, type: "tool_use", id: p.id, name: p.name, input: toolInput(p.input, raw.input, p.kind === "custom" || customTools.has(p.name)) }];
    case "opaque":
      return p.native.api === API ? [p.native.raw] : [];
  }
}

/** `tool_use.input` must be an object: the parsed arguments, the wire input when unchanged, or `{}`. */
function toolInput(input: string, rawInput: unknown, custom: boolean): unknown {
  if (custom) return { input };
  if (rawInput !== undefined && JSON.stringify(rawInput) === input) return rawInput;
  try {
    const parsed: unknown = JSON.parse(input);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : { input: parsed };
  } catch {
    return {};
  }
}

/** Joins consecutive turns of one role (tool results and the user's text share a user turn). */
function joinTurns(messages: Raw[]): Raw[] {
  const out: Raw[] = [];
  for (const m of messages) {
    const last = out.at(-1);
    if (last && last.role === m.role && m.role !== "system") {
      last.content = [...asBlocks(last.content), ...asBlocks(m.content)];
    } else out.push({ ...m });
  }
  return out;
}

function asBlocks(content: unknown): Raw[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : (content as Raw[]);
}

function encodeTool(t: ToolDefinition): Raw[] {
  if (t.native?.api === API) return [t.native.raw];
  if (t.kind === "provider") return [];
  // A free-form (custom) tool has no Anthropic form: a function with one string argument stands in.
  if (t.kind === "custom") return [defined({ name: t.name, description: t.description, input_schema: { type: "object", properties: { input: { type: "string" } }, required: ["input"] } })];
  return [defined({ name: t.name, description: t.description, input_schema: t.inputSchema ?? { type: "object", properties: {} } })];
}

function encodeToolChoice(choice: ToolChoice | undefined, raw: unknown): Raw | undefined {
  if (choice === undefined) return undefined;
  const keep = raw && typeof raw === "object" ? { ...(raw as Raw) } : {};
  delete keep.name;
  if (choice === "auto" || choice === "none") return { ...keep, type: choice };
  if (choice === "required") return { ...keep, type: "any" };
  return { ...keep, type: "tool", name: choice.name };
}
