/**
 * Responses items ↔ parts: what a request's `input` and a Response's `output` share.
 *
 * `native` convention for this API (read only by this codec): a tool call, a reasoning
 * item or an item we do not model keeps its whole item; a text part keeps its message
 * item holding only that part (`{...message, content: [part]}`), so parts of one message
 * are regrouped by the item's id. Each raw form is valid wire, and typed fields win over it.
 *
 * Namespaced tools (`{type: "namespace", name: "ns", tools: [...]}`) are flattened to
 * `ns__name` in the core, so an upstream that does not know namespaces (chat) can call
 * them; calls are split back into `{namespace, name}` for the client.
 */
import type { ZodError, ZodType } from "zod";
import type { AnswerPart, Native, OpaquePart, TextPart, ToolCallPart } from "../../core/parts.js";
import {
  CustomToolCallItemSchema,
  FunctionCallItemSchema,
  MessageItemSchema,
  ReasoningItemSchema,
  RefusalContent,
  TextContentSchema,
  type AnyItem,
  type ReasoningItem,
} from "./schema.js";

export const API = "responses" as const;
export type Raw = Record<string, unknown>;

/** Reports an item that does not match its type's schema (a 400 for clients, a 502 for upstreams). */
export type OnInvalid = (err: ZodError, path: string) => never;

export function native(raw: object): Native {
  return { api: API, raw: raw as Raw };
}

/** The raw form when it is this API's, else an empty base. */
export function base(n: Native | undefined): Raw {
  return n?.api === API ? { ...n.raw } : {};
}

export function check<T>(schema: ZodType<T>, value: unknown, path: string, onInvalid: OnInvalid): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) onInvalid(parsed.error, path);
  return parsed.data as T;
}

/** Qualified core name of a namespaced tool. */
export function qualify(namespace: string | null | undefined, name: string): string {
  if (!namespace) return name;
  return namespace.endsWith("__") ? `${namespace}${name}` : `${namespace}__${name}`;
}

/** Core name → the namespace and name the client declared (from its `namespace` tools). */
export type ToolNames = ReadonlyMap<string, { namespace: string; name: string }>;

/** The text a reasoning item carries: its summaries, or its raw reasoning when it has no summary. */
export function reasoningText(item: Pick<ReasoningItem, "summary" | "content">): string {
  const summary = (item.summary ?? []).map((s) => s.text);
  if (summary.length) return summary.join("\n\n");
  return (item.content ?? []).map((c) => c.text).join("");
}

/** An assistant-side item (an output item, or one sent back in `input`) as answer parts. */
export function decodeAnswerItem(item: AnyItem, path: string, onInvalid: OnInvalid): AnswerPart[] {
  switch (item.type) {
    case "message": {
      const m = check(MessageItemSchema, item, path, onInvalid);
      if (typeof m.content === "string") return m.content ? [{ type: "text", text: m.content, native: native({ ...m, content: [{ type: "output_text", text: m.content }] }) }] : [];
      return m.content.map((c, j): TextPart | OpaquePart => {
        const own = native({ ...m, content: [c] });
        if (c.type === "refusal") return { type: "text", text: check(RefusalContent, c, `${path}.content[${j}]`, onInvalid).refusal, native: own };
        if (c.type === "output_text" || c.type === "input_text") return { type: "text", text: check(TextContentSchema, c, `${path}.content[${j}]`, onInvalid).text, native: own };
        return { type: "opaque", native: own };
      });
    }
    case "reasoning": {
      const r = check(ReasoningItemSchema, item, path, onInvalid);
      return [{ type: "reasoning", text: reasoningText(r), native: native(item) }];
    }
    case "function_call": {
      const c = check(FunctionCallItemSchema, item, path, onInvalid);
      return [{ type: "tool-call", id: c.call_id, name: qualify(c.namespace, c.name), input: c.arguments, kind: "function", native: native(item) }];
    }
    case "custom_tool_call": {
      const c = check(CustomToolCallItemSchema, item, path, onInvalid);
      return [{ type: "tool-call", id: c.call_id, name: qualify(c.namespace, c.name), input: c.input, kind: "custom", native: native(item) }];
    }
    default:
      // Built-in tool calls (web_search_call, …), item references, compaction items: forwarded as they are.
      return [{ type: "opaque", native: native(item) }];
  }
}

/** Item ids for an answer written by the gateway: `msg_<response>_<n>`. */
export class ItemIds {
  private n = 0;
  constructor(private readonly suffix: string) {}
  next(prefix: string): string {
    return `${prefix}_${this.suffix}${(this.n++).toString(36)}`;
  }
}

export interface EncodeItemsOptions {
  /** `output`: items of a Response (ids, statuses); `input`: items sent back to an upstream. */
  mode: "output" | "input";
  ids?: ItemIds;
  names?: ToolNames;
}

/** Answer parts as Responses items, in order; parts of another API that cannot be sent are left out. */
export function encodeAnswerItems(parts: readonly AnswerPart[], options: EncodeItemsOptions): Raw[] {
  const out: Raw[] = [];
  // The message the previous text part went into: parts of one upstream message share its id.
  let message: { item: Raw; id: string | undefined } | undefined;
  for (const p of parts) {
    if (p.type !== "text") message = undefined;
    switch (p.type) {
      case "text": {
        const raw = base(p.native);
        const id = typeof raw.id === "string" ? raw.id : undefined;
        const rawPart = ((raw.content as Raw[] | undefined)?.[0] ?? {}) as Raw;
        const part = rawPart.type === "refusal"
          ? { ...rawPart, refusal: p.text }
          : { type: "output_text", ...(rawPart.type === "output_text" ? rawPart : outputTextBase(options.mode)), text: p.text };
        if (message && id !== undefined && message.id === id) {
          (message.item.content as Raw[]).push(part);
          continue;
        }
        // OpenAI's key order (id, type, status, …) first; the typed fields win over the raw ones.
        const head = options.mode === "output" ? { id: id ?? options.ids?.next("msg"), type: "message", status: "completed" } : { type: "message" };
        const item: Raw = { ...head, ...raw, ...head, role: "assistant", content: [part] };
        out.push(item);
        message = { item, id };
        continue;
      }
      case "reasoning": {
        const item = encodeReasoning(p.text, p.native, options);
        if (item) out.push(item);
        continue;
      }
      case "tool-call":
        out.push(encodeToolCallItem(p, options));
        continue;
      case "opaque":
        if (p.native.api === API) out.push({ ...p.native.raw });
        continue;
    }
  }
  return out;
}

function outputTextBase(mode: "output" | "input"): Raw {
  return mode === "output" ? { annotations: [], logprobs: [] } : { annotations: [] };
}

function encodeReasoning(text: string, n: Native | undefined, options: EncodeItemsOptions): Raw | undefined {
  if (n?.api === API) {
    const raw = { ...n.raw };
    // A mitigation does not rewrite reasoning; if something did, the typed text wins.
    if (text !== reasoningText(raw as ReasoningItem)) raw.summary = [{ type: "summary_text", text }];
    return raw;
  }
  // Another API's reasoning (chat's reasoning_content) cannot be replayed to a Responses model.
  if (options.mode === "input") return undefined;
  return { type: "reasoning", id: options.ids?.next("rs"), summary: text ? [{ type: "summary_text", text }] : [] };
}

/** The wire name and namespace of a core tool name. */
export function splitName(name: string, raw: Raw, names: ToolNames | undefined): { name: string; namespace?: string } {
  if (typeof raw.namespace === "string" && typeof raw.name === "string" && qualify(raw.namespace, raw.name) === name) return { name: raw.name, namespace: raw.namespace };
  const declared = names?.get(name);
  return declared ? { ...declared } : { name };
}

export function encodeToolCallItem(p: ToolCallPart, options: EncodeItemsOptions): Raw {
  const type = p.kind === "custom" ? "custom_tool_call" : "function_call";
  const raw = base(p.native);
  const own: Raw = raw.type === type ? raw : {};
  delete own.namespace;
  const head = options.mode === "output" ? { id: own.id ?? options.ids?.next(p.kind === "custom" ? "ctc" : "fc"), type, status: "completed" } : { type };
  const body = p.kind === "custom" ? { input: p.input } : { arguments: p.input };
  return { ...head, ...own, ...head, call_id: p.id, ...splitName(p.name, raw, options.names), ...body };
}
