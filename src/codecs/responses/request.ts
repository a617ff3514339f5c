/**
 * Responses requests ↔ `ModelCall`. `decodeResponsesRequest` reads what a client sent
 * (Codex, the Agents SDK, openai-node's `responses.create`); `encodeResponsesRequest`
 * writes what a Responses upstream gets. Request fields the core does not model
 * (`include`, `store`, `reasoning`, `text`, `prompt_cache_key`, …) reach only an
 * upstream of the same API.
 *
 * `instructions` is the first system message, marked so that it is written back as
 * `instructions`; RAG appends its block to the first system message, so it lands there,
 * or in the client's first developer message when there are no instructions (Codex). A
 * system message a mitigation adds is sent as `instructions` too.
 */
import type { AnswerPart, Message, ModelCall, OpaquePart, SystemMessage, TextPart, ToolChoice, ToolDefinition, ToolKind, ToolResultPart } from "../../core/parts.js";
import { defined, extraFields } from "../chat/request.js";
import {
  API,
  base,
  check,
  decodeAnswerItem,
  encodeAnswerItems,
  native,
  qualify,
  type OnInvalid,
  type Raw,
  type ToolNames,
} from "./items.js";
import {
  CustomToolSchema,
  FunctionToolSchema,
  MessageItemSchema,
  NamespaceToolSchema,
  TextContentSchema,
  ToolOutputItemSchema,
  type AnyItem,
  type ResponsesRequest,
} from "./schema.js";
import { encodeTools } from "./tools.js";

/** Marks the system message that came from `instructions` (never sent on the wire). */
const INSTRUCTIONS = "slopguard.instructions";

const MODELLED = new Set(["model", "input", "instructions", "stream", "tools", "tool_choice", "max_output_tokens", "temperature", "top_p"]);

/** Request fields a Response object repeats back to the client. */
const ECHOED = ["instructions", "max_output_tokens", "parallel_tool_calls", "previous_response_id", "reasoning", "store", "temperature", "text", "tool_choice", "tools", "top_p", "truncation", "user", "metadata", "prompt_cache_key", "service_tier"];

export interface DecodedResponses {
  call: ModelCall;
  model: string;
  stream: boolean;
  /** The request fields the Response object repeats. */
  echo: Raw;
  /** Core names of namespaced tools → what the client declared. */
  names: ToolNames;
  previousResponseId?: string;
  background: boolean;
}

export function decodeResponsesRequest(req: ResponsesRequest, onInvalid: OnInvalid): DecodedResponses {
  const extra = extraFields(req, MODELLED);
  const names = new Map<string, { namespace: string; name: string }>();
  const tools = req.tools?.flatMap((t, i) => decodeTool(t, `tools[${i}]`, onInvalid, names));
  const toolChoice = decodeToolChoice(req.tool_choice);
  // A tool choice the core cannot express (allowed_tools, a built-in tool) still reaches a Responses upstream.
  if (toolChoice === undefined && req.tool_choice != null) extra.tool_choice = req.tool_choice;
  const prompt: Message[] = [];
  if (req.instructions) prompt.push({ role: "system", content: [{ type: "text", text: req.instructions }], native: native({ type: INSTRUCTIONS }) });
  prompt.push(...decodeInput(req.input, onInvalid));
  const call: ModelCall = {
    prompt,
    ...defined({
      tools,
      toolChoice,
      maxOutputTokens: req.max_output_tokens ?? undefined,
      temperature: req.temperature ?? undefined,
      topP: req.top_p ?? undefined,
    }),
    native: { api: API, extra },
  };
  const echo: Raw = {};
  for (const k of ECHOED) if (req[k] !== undefined) echo[k] = req[k];
  return {
    call,
    model: req.model,
    stream: req.stream === true,
    echo,
    names,
    background: req.background === true,
    ...(req.previous_response_id ? { previousResponseId: req.previous_response_id } : {}),
  };
}

function decodeTool(t: Raw, path: string, onInvalid: OnInvalid, names: Map<string, { namespace: string; name: string }>): ToolDefinition[] {
  switch (t.type) {
    case "function": {
      const f = check(FunctionToolSchema, t, path, onInvalid);
      return [{ name: f.name, kind: "function", ...defined({ description: f.description ?? undefined, inputSchema: f.parameters ?? undefined }), native: native(t) }];
    }
    case "custom": {
      const c = check(CustomToolSchema, t, path, onInvalid);
      return [{ name: c.name, kind: "custom", ...defined({ description: c.description ?? undefined }), native: native(t) }];
    }
    case "namespace": {
      const ns = check(NamespaceToolSchema, t, path, onInvalid);
      // Each member keeps the namespace around it (holding only itself), so the tools regroup on the way out.
      return ns.tools.map((member) => {
        const name = qualify(ns.name, member.name);
        names.set(name, { namespace: ns.name, name: member.name });
        return {
          name,
          kind: member.type,
          ...defined({ description: member.description ?? ns.description ?? undefined, inputSchema: member.type === "function" ? (member.parameters ?? undefined) : undefined }),
          native: native({ ...ns, tools: [member] }),
        };
      });
    }
    default:
      return [{ name: String(t.type), kind: "provider", native: native(t) }];
  }
}

function decodeToolChoice(choice: ResponsesRequest["tool_choice"]): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "string") return choice;
  if ((choice.type === "function" || choice.type === "custom") && typeof choice.name === "string") {
    return { name: qualify(typeof choice.namespace === "string" ? choice.namespace : undefined, choice.name) };
  }
  return undefined;
}

/** `input` as messages: consecutive assistant-side items form one assistant turn, consecutive outputs one tool turn. */
function decodeInput(input: ResponsesRequest["input"], onInvalid: OnInvalid): Message[] {
  if (typeof input === "string") return [{ role: "user", content: input ? [{ type: "text", text: input }] : [] }];
  const out: Message[] = [];
  const push = (m: Message) => {
    const last = out[out.length - 1];
    if (last && m.role === last.role && (m.role === "assistant" || m.role === "tool") && last.native === undefined && m.native === undefined) {
      (last.content as unknown[]).push(...m.content);
    } else out.push(m);
  };
  input.forEach((item, i) => push(decodeItem(item, `input[${i}]`, onInvalid)));
  return out;
}

function decodeItem(item: AnyItem, path: string, onInvalid: OnInvalid): Message {
  const type = item.type ?? "message";
  if (type === "message" && item.role !== "assistant") {
    const m = check(MessageItemSchema, item, path, onInvalid);
    const content = contentParts(m.content, path, onInvalid);
    if (m.role === "user") return { role: "user", content, native: native(item) };
    return { role: "system", content: content.filter((p): p is TextPart => p.type === "text"), native: native(item) };
  }
  if (type === "function_call_output" || type === "custom_tool_call_output") {
    const o = check(ToolOutputItemSchema, item, path, onInvalid);
    const output = typeof o.output === "string" ? o.output : o.output.map((c) => (typeof c.text === "string" ? c.text : "")).join("");
    const result: ToolResultPart = { type: "tool-result", callId: o.call_id, output, native: native(item) };
    return { role: "tool", content: [result] };
  }
  return { role: "assistant", content: decodeAnswerItem({ ...item, type }, path, onInvalid) };
}

function contentParts(content: string | Raw[], path: string, onInvalid: OnInvalid): Array<TextPart | OpaquePart> {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  return content.map((c, j) =>
    c.type === "input_text" || c.type === "output_text"
      ? { type: "text", text: check(TextContentSchema, c, `${path}.content[${j}]`, onInvalid).text, native: native(c) }
      : { type: "opaque", native: native(c) },
  );
}

/** The body a Responses upstream gets for `call`. */
export function encodeResponsesRequest(call: ModelCall, options: { model: string; stream: boolean }): Raw {
  const sameApi = call.native?.api === API;
  const body: Raw = { ...(sameApi ? call.native!.extra : {}), model: options.model };
  const { instructions, input } = encodeInput(call.prompt);
  body.input = input;
  if (instructions !== undefined) body.instructions = instructions;
  const tools = call.tools?.length ? encodeTools(call.tools) : [];
  if (tools.length) body.tools = tools;
  if (call.toolChoice !== undefined && tools.length) body.tool_choice = encodeToolChoice(call.toolChoice, call.tools);
  if (!tools.length && !sameApi) delete body.tool_choice;
  Object.assign(body, defined({ max_output_tokens: call.maxOutputTokens, temperature: call.temperature, top_p: call.topP }));
  // A client of another API has no use for a stored response and could never refer to it.
  if (!sameApi) body.store = false;
  body.stream = options.stream;
  return body;
}

function encodeInput(prompt: readonly Message[]): { instructions?: string; input: Raw[] } {
  const calls = new Map<string, ToolKind>();
  for (const m of prompt) if (m.role === "assistant") for (const p of m.content) if (p.type === "tool-call") calls.set(p.id, p.kind);
  const at = prompt.findIndex((m) => m.role === "system" && base(m.native).type === INSTRUCTIONS);
  // A system message a mitigation added (no wire form) takes the instructions' place when there are none.
  const instructionsAt = at >= 0 ? at : prompt[0]?.role === "system" && prompt[0].native === undefined ? 0 : -1;
  const input: Raw[] = [];
  let instructions: string | undefined;
  prompt.forEach((m, i) => {
    if (i === instructionsAt) instructions = (m as SystemMessage).content.map((p) => p.text).join("");
    else input.push(...encodeMessage(m, calls));
  });
  return { ...(instructions !== undefined ? { instructions } : {}), input };
}

function encodeMessage(m: Message, calls: ReadonlyMap<string, ToolKind>): Raw[] {
  switch (m.role) {
    case "system":
    case "user": {
      const raw = base(m.native);
      const role = m.role === "user" ? "user" : raw.role === "developer" ? "developer" : "system";
      return [{ ...raw, type: "message", role, content: encodeContent(m.content, raw.content) }];
    }
    case "assistant":
      return encodeAnswerItems(m.content as AnswerPart[], { mode: "input" });
    case "tool":
      return m.content.map((r) => encodeToolResult(r, calls));
  }
}

/** A plain string when the client sent one (or another API's text); content parts when it sent parts or a part needs its wire form. */
function encodeContent(parts: ReadonlyArray<TextPart | OpaquePart>, rawContent: unknown): string | Raw[] {
  const plain = (p: TextPart | OpaquePart) => p.type === "text" && (p.native?.api !== API || Object.keys(p.native.raw).every((k) => k === "type" || k === "text"));
  if (!Array.isArray(rawContent) && parts.every(plain)) return parts.map((p) => (p as TextPart).text).join("");
  return parts.flatMap((p): Raw[] => {
    if (p.type === "opaque") return p.native.api === API ? [{ ...p.native.raw }] : [];
    return [{ ...base(p.native), type: "input_text", text: p.text }];
  });
}

function encodeToolResult(r: ToolResultPart, calls: ReadonlyMap<string, ToolKind>): Raw {
  const raw = base(r.native);
  const type = raw.type === "custom_tool_call_output" || raw.type === "function_call_output" ? raw.type : calls.get(r.callId) === "custom" ? "custom_tool_call_output" : "function_call_output";
  // Content parts (images) stay as sent unless the text was changed.
  const rawText = Array.isArray(raw.output) ? (raw.output as Raw[]).map((c) => (typeof c.text === "string" ? c.text : "")).join("") : undefined;
  const output = rawText !== undefined && rawText === r.output ? raw.output : r.output;
  return { ...raw, type, call_id: r.callId, output };
}

function encodeToolChoice(choice: ToolChoice, tools: readonly ToolDefinition[] | undefined): unknown {
  if (typeof choice === "string") return choice;
  const tool = tools?.find((t) => t.name === choice.name);
  const raw = base(tool?.native);
  const member = raw.type === "namespace" ? ((raw.tools as Raw[] | undefined)?.[0] ?? {}) : raw;
  const named = raw.type === "namespace" ? { name: member.name, namespace: raw.name } : { name: choice.name };
  return { type: tool?.kind === "custom" ? "custom" : "function", ...named };
}
