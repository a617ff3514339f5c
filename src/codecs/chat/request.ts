/**
 * Chat-completions requests ↔ `ModelCall`. `decodeChatRequest` reads what a client
 * sent; `encodeChatRequest` writes what an upstream gets. Each message and part keeps
 * its wire form in `native`, so a chat upstream receives the fields we do not model
 * (names, cache hints, vendor extensions) unchanged; modelled fields always come from
 * the typed value, so a mitigation's edit wins.
 */
import type { AnswerPart, Message, ModelCall, Native, OpaquePart, TextPart, ToolChoice, ToolDefinition } from "../../core/parts.js";
import type { ChatMessage, ChatRequest, ChatToolCall } from "./schema.js";

const API = "chat" as const;
type Raw = Record<string, unknown>;

/**
 * Request fields the core models; everything else travels in `call.native.extra`.
 * `max_completion_tokens` is read as the output limit but stays in `extra`, so a chat
 * upstream gets the name the client used (o-series models refuse `max_tokens`).
 */
const MODELLED = new Set([
  "model", "messages", "stream", "stream_options", "temperature", "top_p", "top_k", "max_tokens",
  "stop", "seed", "tools", "tool_choice",
]);

export interface DecodedChat {
  call: ModelCall;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

/** The fields a request has that `modelled` does not name: they travel in `call.native.extra`. */
export function extraFields(req: object, modelled: ReadonlySet<string>): Raw {
  const extra: Raw = {};
  for (const [k, v] of Object.entries(req)) if (!modelled.has(k) && v !== undefined) extra[k] = v;
  return extra;
}

/** Sampling fields OpenAI's chat and text-completion requests share. */
export function decodeSampling(req: {
  temperature?: number | null | undefined;
  top_p?: number | null | undefined;
  top_k?: number | null | undefined;
  stop?: string | string[] | null | undefined;
  seed?: number | null | undefined;
}): Pick<ModelCall, "temperature" | "topP" | "topK" | "stop" | "seed"> {
  return defined({
    temperature: req.temperature ?? undefined,
    topP: req.top_p ?? undefined,
    topK: req.top_k ?? undefined,
    stop: req.stop == null ? undefined : Array.isArray(req.stop) ? req.stop : [req.stop],
    seed: req.seed ?? undefined,
  });
}

export function decodeChatRequest(req: ChatRequest): DecodedChat {
  const extra = extraFields(req, MODELLED);
  const call: ModelCall = {
    prompt: req.messages.map(decodeMessage),
    ...defined({
      tools: req.tools?.flatMap(decodeTool),
      toolChoice: decodeToolChoice(req.tool_choice),
      maxOutputTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
    }),
    ...decodeSampling(req),
    native: { api: API, extra },
  };
  return { call, model: req.model, stream: req.stream === true, includeUsage: req.stream_options?.include_usage === true };
}

function native(raw: object): Native {
  return { api: API, raw: raw as Raw };
}

function textParts(content: ChatMessage["content"]): Array<TextPart | OpaquePart> {
  if (content == null) return [];
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  return content.map((p) =>
    p.type === "text" && typeof p.text === "string" ? { type: "text", text: p.text, native: native(p) } : { type: "opaque", native: native(p) },
  );
}

function decodeMessage(m: ChatMessage): Message {
  switch (m.role) {
    case "system":
    case "developer":
      return { role: "system", content: textParts(m.content).filter((p): p is TextPart => p.type === "text"), native: native(m) };
    case "user":
      return { role: "user", content: textParts(m.content), native: native(m) };
    case "assistant": {
      const content: AnswerPart[] = [];
      if (m.reasoning_content) content.push({ type: "reasoning", text: m.reasoning_content });
      content.push(...textParts(m.content));
      for (const c of m.tool_calls ?? []) content.push(decodeToolCall(c));
      return { role: "assistant", content, native: native(m) };
    }
    case "tool": {
      const output = textParts(m.content).map((p) => (p.type === "text" ? p.text : "")).join("");
      return { role: "tool", content: [{ type: "tool-result", callId: m.tool_call_id, output }], native: native(m) };
    }
  }
}

export function decodeToolCall(c: ChatToolCall): AnswerPart {
  if (c.type === "custom") return { type: "tool-call", id: c.id, name: c.custom.name, input: c.custom.input, kind: "custom", native: native(c) };
  return { type: "tool-call", id: c.id, name: c.function.name, input: c.function.arguments, kind: "function", native: native(c) };
}

function decodeTool(t: Raw): ToolDefinition[] {
  const fn = t.function as { name?: string; description?: string; parameters?: Raw } | undefined;
  const custom = t.custom as { name?: string; description?: string } | undefined;
  if (t.type === "function" && fn?.name) {
    return [{ name: fn.name, kind: "function", ...defined({ description: fn.description, inputSchema: fn.parameters }), native: native(t) }];
  }
  if (t.type === "custom" && custom?.name) return [{ name: custom.name, kind: "custom", ...defined({ description: custom.description }), native: native(t) }];
  return [{ name: String(t.type), kind: "provider", native: native(t) }];
}

function decodeToolChoice(choice: unknown): ToolChoice | undefined {
  if (choice === "auto" || choice === "none" || choice === "required") return choice;
  const c = choice as { type?: string; function?: { name?: string }; custom?: { name?: string } } | undefined;
  const name = c?.function?.name ?? c?.custom?.name;
  return name ? { name } : undefined;
}

/** The body an OpenAI-compatible upstream gets for `call`. */
export function encodeChatRequest(call: ModelCall, options: { model: string; stream: boolean }): Raw {
  const sameApi = call.native?.api === API;
  const body: Raw = { ...(sameApi ? call.native!.extra : {}), model: options.model, messages: call.prompt.flatMap(encodeMessage) };
  Object.assign(body, defined({
    tools: call.tools?.length ? call.tools.flatMap(encodeTool) : undefined,
    tool_choice: encodeToolChoice(call.toolChoice, call.tools),
    [sameApi && "max_completion_tokens" in body ? "max_completion_tokens" : "max_tokens"]: call.maxOutputTokens,
    temperature: call.temperature,
    top_p: call.topP,
    top_k: call.topK,
    stop: call.stop?.length ? call.stop : undefined,
    seed: call.seed,
  }));
  if (!sameApi && !body.tools) delete body.tool_choice;
  if (options.stream) {
    body.stream = true;
    // Always ask for the usage chunk: token metrics and rate limits need it.
    body.stream_options = { ...(body.stream_options as Raw | undefined), include_usage: true };
  } else {
    body.stream = false;
    delete body.stream_options;
  }
  return body;
}

function base(n: Native | undefined): Raw {
  return n?.api === API ? { ...n.raw } : {};
}

function encodeContent(parts: ReadonlyArray<TextPart | OpaquePart>): string | Raw[] {
  // A plain string unless a part needs its wire form (images, cache hints).
  if (parts.every((p) => p.type === "text" && (p.native === undefined || Object.keys(p.native.raw).every((k) => k === "type" || k === "text")))) {
    return parts.map((p) => (p as TextPart).text).join("");
  }
  return parts.flatMap((p) => (p.type === "text" ? [{ ...base(p.native), type: "text", text: p.text }] : p.native.api === API ? [p.native.raw] : []));
}

function encodeMessage(m: Message): Raw[] {
  const raw = base(m.native);
  switch (m.role) {
    case "system":
      return [{ ...raw, role: raw.role === "developer" ? "developer" : "system", content: encodeContent(m.content) }];
    case "user":
      return [{ ...raw, role: "user", content: encodeContent(m.content) }];
    case "assistant": {
      // Only another API's items (a Responses web_search_call): nothing chat can carry, and no empty turn either.
      if (m.content.length && m.content.every((p) => p.type === "opaque" && p.native.api !== API)) return [];
      const text = m.content.filter((p): p is TextPart => p.type === "text");
      const calls = m.content.filter((p) => p.type === "tool-call");
      const reasoning = m.content.filter((p) => p.type === "reasoning").map((p) => p.text).join("");
      const out: Raw = { ...raw, role: "assistant", content: text.length ? encodeContent(text) : null };
      delete out.tool_calls;
      delete out.reasoning_content;
      if (calls.length) out.tool_calls = calls.map(encodeToolCall);
      if (reasoning && raw.reasoning_content !== undefined) out.reasoning_content = reasoning;
      return [out];
    }
    case "tool":
      // Chat has one message per tool result.
      return m.content.map((r) => ({ ...base(r.native ?? m.native), role: "tool", tool_call_id: r.callId, content: r.output }));
  }
}

export function encodeToolCall(p: AnswerPart): Raw {
  if (p.type !== "tool-call") throw new Error("not a tool call");
  const raw = base(p.native);
  if (p.kind === "custom") return { ...raw, id: p.id, type: "custom", custom: { name: p.name, input: p.input } };
  return { ...raw, id: p.id, type: "function", function: { name: p.name, arguments: p.input } };
}

function encodeTool(t: ToolDefinition): Raw[] {
  if (t.native?.api === API) return [t.native.raw];
  if (t.kind === "provider") return [];
  if (t.kind === "custom") return [{ type: "custom", custom: defined({ name: t.name, description: t.description }) }];
  return [{ type: "function", function: defined({ name: t.name, description: t.description, parameters: t.inputSchema }) }];
}

function encodeToolChoice(choice: ToolChoice | undefined, tools: ToolDefinition[] | undefined): unknown {
  if (choice === undefined || typeof choice === "string") return choice;
  const kind = tools?.find((t) => t.name === choice.name)?.kind ?? "function";
  return kind === "custom" ? { type: "custom", custom: { name: choice.name } } : { type: "function", function: { name: choice.name } };
}

/** The object without its undefined values (exactOptionalPropertyTypes keeps them apart). */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
