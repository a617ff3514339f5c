/**
 * Response objects ↔ `Generation`. An upstream's JSON answer is checked and read into
 * parts; a `Generation` is written back as the Response a client gets. When the answer
 * came from a Responses upstream, its own body is the base, so fields we do not model
 * (`service_tier`, `reasoning`, `output_text` annotations, …) reach the client.
 */
import type { FinishReason, Generation, Usage } from "../../core/parts.js";
import { UpstreamFormatError } from "../errors.js";
import { defined } from "../chat/request.js";
import { API, decodeAnswerItem, encodeAnswerItems, ItemIds, type OnInvalid, type Raw, type ToolNames } from "./items.js";
import { ResponseObjectSchema, type ResponseObject, type ResponsesUsage } from "./schema.js";

/** The upstream answered with a failed response or an `error` event: its own failure, not a format error. */
export class UpstreamResponseError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
    this.name = "UpstreamResponseError";
  }
}

export function decodeUsage(u: ResponsesUsage | null | undefined): Usage | undefined {
  if (!u) return undefined;
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    totalTokens: u.total_tokens,
    ...defined({ cachedInputTokens: u.input_tokens_details?.cached_tokens ?? undefined, reasoningTokens: u.output_tokens_details?.reasoning_tokens ?? undefined }),
  };
}

export function encodeUsage(u: Usage): Raw {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.totalTokens,
  };
}

/** How a response ended, from its status and what it produced. */
export function decodeFinish(r: Pick<ResponseObject, "status" | "incomplete_details">, hasToolCalls: boolean): FinishReason {
  if (r.status === "incomplete") {
    const reason = r.incomplete_details?.reason;
    return reason === "max_output_tokens" ? "length" : reason === "content_filter" ? "content-filter" : "other";
  }
  if (r.status === "completed") return hasToolCalls ? "tool-calls" : "stop";
  return "other";
}

export const upstreamInvalid: OnInvalid = (err, path) => {
  const issue = err.issues[0];
  throw new UpstreamFormatError("response", issue ? `${path}.${issue.path.map(String).join(".")}: ${issue.message}` : path);
};

/** Reads an upstream's Response; anything that is not one is an `UpstreamFormatError`. */
export function decodeResponse(body: unknown): Generation {
  const parsed = ResponseObjectSchema.safeParse(body);
  if (!parsed.success) throw new UpstreamFormatError("response", parsed.error);
  const r = parsed.data;
  if (r.status === "failed") throw new UpstreamResponseError(r.error?.message ?? "the response failed", r.error?.code ?? undefined);
  const content = r.output.flatMap((item, i) => decodeAnswerItem(item, `output[${i}]`, upstreamInvalid));
  return {
    content,
    finishReason: decodeFinish(r, content.some((p) => p.type === "tool-call")),
    ...defined({ usage: decodeUsage(r.usage) }),
    response: defined({ id: r.id, model: r.model ?? undefined, created: r.created_at ?? undefined }),
    native: { api: API, raw: body as Raw },
  };
}

/** What a Response object says before the request's own fields are filled in. */
const DEFAULTS: Raw = {
  object: "response",
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  store: false,
  temperature: 1,
  text: { format: { type: "text" } },
  tool_choice: "auto",
  tools: [],
  top_p: 1,
  truncation: "disabled",
  user: null,
  metadata: {},
};

export interface ResponseMeta {
  /** `resp_…`: the upstream's id when it speaks this API (so `previous_response_id` reaches it), else the gateway's. */
  id: string;
  /** The public model name. */
  model: string;
  createdAt: number;
  /** The request fields a Response repeats. */
  echo: Raw;
  names: ToolNames;
  /** Whether the gateway's upstream keeps responses (a Responses upstream); otherwise `store` is reported false. */
  stores: boolean;
}

/** The frame of a Response: everything but its output and usage; `status` is a placeholder the caller sets. */
export function responseFrame(meta: ResponseMeta, upstreamRaw?: Raw): Raw {
  // OpenAI's key order first (id, object, created_at, status, …), then what the upstream and the request add.
  const head = { id: meta.id, object: "response", created_at: meta.createdAt, status: "in_progress", model: meta.model };
  const frame: Raw = { ...head, ...DEFAULTS, ...upstreamRaw, ...meta.echo, ...head };
  if (!meta.stores) frame.store = false;
  delete frame.output_text; // the SDKs' convenience field, not part of the wire format
  return frame;
}

export function statusOf(finish: FinishReason): { status: "completed" | "incomplete"; incomplete_details: Raw | null } {
  if (finish === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finish === "content-filter") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** The Response a client gets; `extra` fields (the slopguard report) are added at the top level. */
export function encodeResponse(g: Generation, meta: ResponseMeta, extra: Raw = {}): Raw {
  const raw = g.native?.api === API ? g.native.raw : undefined;
  const ids = new ItemIds(meta.id.replace(/^resp_/, ""));
  return {
    ...responseFrame(meta, raw),
    ...statusOf(g.finishReason),
    output: encodeAnswerItems(g.content, { mode: "output", ids, names: meta.names }),
    usage: g.usage ? { ...(raw?.usage as Raw | undefined), ...encodeUsage(g.usage) } : null,
    ...extra,
  };
}
