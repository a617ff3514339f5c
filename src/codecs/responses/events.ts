/**
 * Stream parts → the Responses API's typed stream events, in the order OpenAI sends
 * them, each with its `sequence_number`: `response.created`, `response.in_progress`,
 * then per output item `response.output_item.added`, its content events
 * (`response.content_part.added`, `response.output_text.delta`…, `.done`;
 * `response.function_call_arguments.delta`…, `.done`; `response.custom_tool_call_input.*`;
 * `response.reasoning_summary_*`), `response.output_item.done`; and last
 * `response.completed` (or `response.incomplete` when the answer hit its token limit).
 *
 * The slopguard report rides on the last event's `response` object as an extra field:
 * openai-node's `responses.stream()` throws on event types it does not know, while
 * extra fields are kept (`finalResponse().slopguard`) and Codex ignores them.
 */
import type { FinishReason, StreamPart, ToolKind, Usage } from "../../core/parts.js";
import type { SlopguardReport } from "../../mitigation/report.js";
import type { ErrorBody } from "../../server/errors.js";
import type { OutPart } from "../types.js";
import { API, ItemIds, splitName, type Raw } from "./items.js";
import { encodeUsage, responseFrame, statusOf, type ResponseMeta } from "./response.js";

interface OpenItem {
  index: number;
  item: Raw;
  kind: "text" | "reasoning" | ToolKind;
  text: string;
}

export interface EventMeta extends ResponseMeta {
  /** Whether the upstream speaks this API: its response and item ids are then kept. */
  upstreamApi: boolean;
}

export class ResponsesEventEncoder {
  private seq = 0;
  private started = false;
  private ended = false;
  private id: string;
  private readonly ids: ItemIds;
  private readonly output: Raw[] = [];
  private readonly open = new Map<string, OpenItem>();
  private finish: FinishReason = "other";
  private usage: Usage | undefined;

  constructor(private readonly meta: EventMeta) {
    this.id = meta.id;
    this.ids = new ItemIds(meta.id.replace(/^resp_/, ""));
  }

  private event(type: string, fields: Raw): Raw {
    return { type, sequence_number: this.seq++, ...fields };
  }

  private frame(status: string, extra: Raw = {}): Raw {
    return { ...responseFrame({ ...this.meta, id: this.id }), status, output: [], usage: null, ...extra };
  }

  encode(part: OutPart): Raw[] {
    const out: Raw[] = [];
    if (!this.started) {
      // The upstream's id, when it speaks this API, so that `previous_response_id` reaches it.
      if (part.type === "response-info" && this.meta.upstreamApi && part.info.id) this.id = part.info.id;
      out.push(...this.start());
    }
    switch (part.type) {
      case "text-start":
      case "reasoning-start":
        this.openItem(part.id, part.type === "text-start" ? "text" : "reasoning", out);
        break;
      case "text-delta":
      case "reasoning-delta":
        if (part.delta) this.delta(this.openItem(part.id, part.type === "text-delta" ? "text" : "reasoning", out), part.delta, out);
        break;
      case "text-end":
      case "reasoning-end":
      case "tool-call-end":
        this.close(part, out);
        break;
      case "tool-call-start":
        this.openTool(part, out);
        break;
      case "tool-call-delta": {
        const o = this.open.get(`c:${part.id}`);
        if (o && part.delta) this.delta(o, part.delta, out);
        break;
      }
      case "finish":
        for (const key of [...this.open.keys()]) this.closeKey(key, undefined, out);
        this.finish = part.finishReason;
        this.usage = part.usage;
        break;
      case "report":
        out.push(...this.terminal(part.report));
        break;
    }
    return out;
  }

  private start(): Raw[] {
    this.started = true;
    return [this.event("response.created", { response: this.frame("in_progress") }), this.event("response.in_progress", { response: this.frame("in_progress") })];
  }

  private add(key: string, kind: OpenItem["kind"], item: Raw, out: Raw[]): OpenItem {
    const o: OpenItem = { index: this.output.length, item, kind, text: "" };
    this.output.push(item);
    this.open.set(key, o);
    out.push(this.event("response.output_item.added", { output_index: o.index, item: structuredClone(item) }));
    return o;
  }

  /** The item of a text or reasoning part, opened (with its first content part) when it is new. */
  private openItem(partId: string, kind: "text" | "reasoning", out: Raw[]): OpenItem {
    const key = `${kind === "text" ? "t" : "r"}:${partId}`;
    const existing = this.open.get(key);
    if (existing) return existing;
    const prefix = kind === "text" ? "msg" : "rs";
    const id = this.meta.upstreamApi && partId.startsWith(`${prefix}_`) && !this.output.some((i) => i.id === partId) ? partId : this.ids.next(prefix);
    if (kind === "reasoning") {
      const o = this.add(key, kind, { id, type: "reasoning", summary: [] }, out);
      out.push(this.event("response.reasoning_summary_part.added", { item_id: id, output_index: o.index, summary_index: 0, part: { type: "summary_text", text: "" } }));
      return o;
    }
    const o = this.add(key, kind, { id, type: "message", status: "in_progress", role: "assistant", content: [] }, out);
    out.push(this.event("response.content_part.added", { item_id: id, output_index: o.index, content_index: 0, part: textPart("") }));
    return o;
  }

  private openTool(part: Extract<StreamPart, { type: "tool-call-start" }>, out: Raw[]): void {
    const custom = part.kind === "custom";
    const item: Raw = {
      id: this.ids.next(custom ? "ctc" : "fc"),
      type: custom ? "custom_tool_call" : "function_call",
      status: "in_progress",
      call_id: part.id,
      ...splitName(part.name, {}, this.meta.names),
      [custom ? "input" : "arguments"]: "",
    };
    this.add(`c:${part.id}`, part.kind, item, out);
  }

  private delta(o: OpenItem, delta: string, out: Raw[]): void {
    o.text += delta;
    const at = { item_id: o.item.id, output_index: o.index };
    if (o.kind === "text") out.push(this.event("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] }));
    else if (o.kind === "reasoning") out.push(this.event("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta }));
    else if (o.kind === "custom") out.push(this.event("response.custom_tool_call_input.delta", { ...at, delta }));
    else out.push(this.event("response.function_call_arguments.delta", { ...at, delta }));
  }

  private close(part: Extract<StreamPart, { type: "text-end" | "reasoning-end" | "tool-call-end" }>, out: Raw[]): void {
    const key = `${part.type === "text-end" ? "t" : part.type === "reasoning-end" ? "r" : "c"}:${part.id}`;
    this.closeKey(key, part.type === "reasoning-end" && part.native?.api === API ? part.native.raw : undefined, out);
  }

  private closeKey(key: string, nativeItem: Raw | undefined, out: Raw[]): void {
    const o = this.open.get(key);
    if (!o) return;
    this.open.delete(key);
    const at = { item_id: o.item.id, output_index: o.index };
    let done: Raw;
    if (o.kind === "text") {
      const part = textPart(o.text);
      out.push(this.event("response.output_text.done", { ...at, content_index: 0, text: o.text, logprobs: [] }));
      out.push(this.event("response.content_part.done", { ...at, content_index: 0, part }));
      done = { ...o.item, status: "completed", content: [part] };
    } else if (o.kind === "reasoning") {
      const part = { type: "summary_text", text: o.text };
      out.push(this.event("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: o.text }));
      out.push(this.event("response.reasoning_summary_part.done", { ...at, summary_index: 0, part }));
      // The upstream's finished item keeps its id and `encrypted_content`, which the client sends back.
      done = nativeItem ? { ...nativeItem } : { ...o.item, summary: o.text ? [part] : [] };
    } else if (o.kind === "custom") {
      out.push(this.event("response.custom_tool_call_input.done", { ...at, input: o.text }));
      done = { ...o.item, status: "completed", input: o.text };
    } else {
      out.push(this.event("response.function_call_arguments.done", { ...at, name: o.item.name, arguments: o.text }));
      done = { ...o.item, status: "completed", arguments: o.text };
    }
    this.output[o.index] = done;
    out.push(this.event("response.output_item.done", { output_index: o.index, item: done }));
  }

  /** `response.completed` (or `.incomplete`), carrying every item, the usage and the report. */
  terminal(report?: SlopguardReport): Raw[] {
    if (this.ended) return [];
    const out = this.started ? [] : this.start();
    this.ended = true;
    const state = statusOf(this.finish);
    const response = this.frame(state.status, {
      incomplete_details: state.incomplete_details,
      output: this.output,
      usage: this.usage ? encodeUsage(this.usage) : null,
      ...(report ? { slopguard: report } : {}),
    });
    out.push(this.event(state.status === "completed" ? "response.completed" : "response.incomplete", { response }));
    return out;
  }

  /**
   * A failure after the headers: an `error` event (with its fields at the top level, as
   * documented, and nested under `error`, as OpenAI sends them: the SDKs raise on that), then
   * `response.failed`, which Codex reads. Never `response.completed`.
   */
  error(body: ErrorBody): Raw[] {
    if (this.ended) return [];
    const out = this.started ? [] : this.start();
    this.ended = true;
    const { message, code, param, type } = body.error;
    out.push(this.event("error", { code, message, param, error: { type, code, message, param } }));
    out.push(this.event("response.failed", { response: this.frame("failed", { output: this.output, error: { code: code ?? "server_error", message } }) }));
    return out;
  }
}

function textPart(text: string): Raw {
  return { type: "output_text", annotations: [], logprobs: [], text };
}
