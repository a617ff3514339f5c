/**
 * The Responses codec on its own: the cases the SDK tests cannot reach through the
 * scripted upstream (upstreams that send only `.done` events, events out of order,
 * mitigation-built calls and answers), checked on the codec's real functions.
 */
import { describe, expect, it } from "vitest";
import type { ModelCall, StreamPart } from "../../src/core/parts.js";
import { collectStream } from "../../src/core/stream.js";
import {
  decodeResponse,
  decodeResponsesRequest,
  encodeResponse,
  encodeResponsesRequest,
  ResponsesEventEncoder,
  ResponsesRequestSchema,
  ResponsesStreamDecoder,
  UpstreamResponseError,
} from "../../src/codecs/responses/index.js";
import { UpstreamFormatError } from "../../src/codecs/errors.js";
import { ApiError } from "../../src/server/errors.js";

const fail = (): never => {
  throw new Error("invalid");
};
const decode = (body: unknown) => decodeResponsesRequest(ResponsesRequestSchema.parse(body), fail);
const response = (output: unknown[], status = "completed", extra = {}) => ({ id: "resp_u", object: "response", created_at: 1, model: "m", status, output, ...extra });

function decodeEvents(events: unknown[]): StreamPart[] {
  const d = new ResponsesStreamDecoder();
  return [...events.flatMap((e) => d.push(e)), ...d.end()];
}

async function* iterate<T>(xs: T[]) {
  yield* xs;
}

describe("request: decode and encode", () => {
  it("a Responses client's own tools come back as sent: namespace members regrouped, tool choice named inside its namespace", () => {
    const tools = [
      { type: "namespace", name: "crm", description: "CRM", tools: [{ type: "function", name: "lookup", parameters: {} }, { type: "custom", name: "note" }] },
      { type: "web_search" },
    ];
    const { call, names } = decode({ model: "m", input: "x", tools, tool_choice: { type: "function", name: "lookup", namespace: "crm" } });
    expect(call.tools!.map((t) => [t.name, t.kind])).toEqual([["crm__lookup", "function"], ["crm__note", "custom"], ["web_search", "provider"]]);
    expect(call.toolChoice).toEqual({ name: "crm__lookup" });
    expect(names.get("crm__note")).toEqual({ namespace: "crm", name: "note" });
    const body = encodeResponsesRequest(call, { model: "up", stream: false });
    expect(body.tools).toEqual(tools);
    expect(body.tool_choice).toEqual({ type: "function", name: "lookup", namespace: "crm" });
  });

  it("a tool choice the core cannot express reaches only a Responses upstream", () => {
    const choice = { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "f" }] };
    const { call } = decode({ model: "m", input: "x", tools: [{ type: "function", name: "f" }], tool_choice: choice });
    expect(call.toolChoice).toBeUndefined();
    expect(encodeResponsesRequest(call, { model: "up", stream: true }).tool_choice).toEqual(choice);
  });

  it("a call built by the gateway: its system message becomes instructions, tool results take their call's kind, store is off", () => {
    const call: ModelCall = {
      prompt: [
        { role: "system", content: [{ type: "text", text: "You are a helpful assistant." }] },
        { role: "user", content: [{ type: "text", text: "patch it" }] },
        { role: "assistant", content: [{ type: "tool-call", id: "c1", name: "apply_patch", input: "*** Begin Patch", kind: "custom" }, { type: "reasoning", text: "chat reasoning" }] },
        { role: "tool", content: [{ type: "tool-result", callId: "c1", output: "not run" }] },
      ],
      tools: [{ name: "apply_patch", kind: "custom", description: "patch" }, { name: "ls", kind: "function" }],
      toolChoice: "required",
    };
    expect(encodeResponsesRequest(call, { model: "up", stream: false })).toEqual({
      model: "up",
      instructions: "You are a helpful assistant.",
      input: [
        { type: "message", role: "user", content: "patch it" },
        // Another API's reasoning cannot be replayed to a Responses model: left out.
        { type: "custom_tool_call", call_id: "c1", name: "apply_patch", input: "*** Begin Patch" },
        { type: "custom_tool_call_output", call_id: "c1", output: "not run" },
      ],
      tools: [
        { type: "custom", name: "apply_patch", description: "patch" },
        { type: "function", name: "ls", parameters: { type: "object", properties: {} }, strict: false },
      ],
      tool_choice: "required",
      store: false,
      stream: false,
    });
  });

  it("consecutive assistant items form one turn; outputs one tool turn; an item without a role is refused naming it", () => {
    const { call } = decode({
      model: "m",
      input: [
        { role: "user", content: "go" },
        { type: "reasoning", summary: [] },
        { type: "function_call", call_id: "a", name: "f", arguments: "{}" },
        { type: "function_call", call_id: "b", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "a", output: [{ type: "input_text", text: "A" }] },
        { type: "function_call_output", call_id: "b", output: "B" },
      ],
    });
    expect(call.prompt.map((m) => [m.role, m.content.length])).toEqual([["user", 1], ["assistant", 3], ["tool", 2]]);
    expect(call.prompt[2]!.content.map((r) => (r as { output: string }).output)).toEqual(["A", "B"]);
    let path = "";
    expect(() =>
      decodeResponsesRequest(ResponsesRequestSchema.parse({ model: "m", input: [{ type: "message", content: "x" }] }), (_e, p) => {
        path = p;
        throw new ApiError(400, "bad");
      }),
    ).toThrow(ApiError);
    expect(path).toBe("input[0]");
  });
});

describe("upstream answers", () => {
  it("JSON: two output_text parts of one message stay one message item; a refusal is text", () => {
    const msg = { type: "message", id: "msg_1", status: "completed", role: "assistant", content: [{ type: "output_text", text: "a", annotations: [] }, { type: "output_text", text: "b", annotations: [] }] };
    const refusal = { type: "message", id: "msg_2", status: "completed", role: "assistant", content: [{ type: "refusal", refusal: "no" }] };
    const g = decodeResponse(response([msg, refusal]));
    expect(g.content.map((p) => (p.type === "text" ? p.text : p.type))).toEqual(["a", "b", "no"]);
    const out = encodeResponse(g, { id: "resp_u", model: "public", createdAt: 2, echo: {}, names: new Map(), stores: true });
    expect(out.output).toEqual([msg, refusal]);
    expect(out.model).toBe("public");
  });

  it("JSON: incomplete for max_output_tokens is a length finish; failed is the upstream's error", () => {
    expect(decodeResponse(response([], "incomplete", { incomplete_details: { reason: "max_output_tokens" } })).finishReason).toBe("length");
    expect(() => decodeResponse(response([], "failed", { error: { code: "x", message: "boom" } }))).toThrow(UpstreamResponseError);
    expect(() => decodeResponse({ ...response([]), output: [{ type: "custom_tool_call", call_id: "c" }] })).toThrow(/output\[0\]\.name/);
  });

  const at = (i: number, id: string) => ({ item_id: id, output_index: i });
  it("stream: an upstream that sends only .done events still gives the whole text and arguments", () => {
    const parts = decodeEvents([
      { type: "response.created", response: response([], "in_progress") },
      { type: "response.output_item.added", output_index: 0, item: { type: "message", id: "msg_1", role: "assistant", content: [] } },
      { type: "response.output_text.done", ...at(0, "msg_1"), content_index: 0, text: "hello" },
      { type: "response.output_item.done", output_index: 0, item: { type: "message", id: "msg_1" } },
      { type: "response.output_item.added", output_index: 1, item: { type: "function_call", id: "fc_1", call_id: "c1", name: "f", arguments: "" } },
      { type: "response.function_call_arguments.delta", ...at(1, "fc_1"), delta: '{"a"' },
      { type: "response.output_item.done", output_index: 1, item: { type: "function_call", id: "fc_1", call_id: "c1", name: "f", arguments: '{"a":1}' } },
      { type: "response.completed", response: response([], "completed", { usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } }) },
      { type: "response.output_text.delta", ...at(0, "msg_1"), content_index: 0, delta: "ignored after the end" },
    ]);
    expect(parts).toEqual([
      { type: "response-info", info: { id: "resp_u", model: "m", created: 1 } },
      { type: "text-start", id: "msg_1" },
      { type: "text-delta", id: "msg_1", delta: "hello" },
      { type: "text-end", id: "msg_1" },
      { type: "tool-call-start", id: "c1", name: "f", kind: "function" },
      { type: "tool-call-delta", id: "c1", delta: '{"a"' },
      { type: "tool-call-delta", id: "c1", delta: ":1}" },
      { type: "tool-call-end", id: "c1" },
      { type: "finish", finishReason: "tool-calls", usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
    ]);
  });

  it("stream: response.incomplete is a length finish; events for outputs never added, and outputs added twice, are malformed", () => {
    const created = { type: "response.created", response: response([], "in_progress") };
    const added = { type: "response.output_item.added", output_index: 0, item: { type: "message", id: "m" } };
    expect(decodeEvents([created, { type: "response.incomplete", response: response([], "incomplete", { incomplete_details: { reason: "max_output_tokens" } }) }]).at(-1)).toEqual({ type: "finish", finishReason: "length" });
    expect(() => decodeEvents([created, { type: "response.output_text.delta", ...at(3, "m"), content_index: 0, delta: "x" }])).toThrow(UpstreamFormatError);
    expect(() => decodeEvents([created, added, added])).toThrow(/added twice/);
    expect(() => decodeEvents([created, { type: "error", code: "rate_limit_exceeded", message: "slow down" }])).toThrow(UpstreamResponseError);
    expect(() => decodeEvents([created])).toThrow(/truncated/);
  });
});

describe("client stream events", () => {
  const meta = { id: "resp_gw", model: "public", createdAt: 1, echo: {}, names: new Map(), stores: false, upstreamApi: false };

  it("parts as a guard releases them (deltas without a start, a notice after held calls) are well-formed events", () => {
    const e = new ResponsesEventEncoder(meta);
    const events = [
      { type: "text-delta", id: "t", delta: "I will install." },
      { type: "text-delta", id: "notice", delta: "slopguard withheld…" },
      { type: "finish", finishReason: "stop" },
      { type: "report", report: { verdict: "hallucination" } as never },
    ].flatMap((p) => e.encode(p as never));
    expect(events.map((x) => x.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1)!;
    expect(completed.type).toBe("response.completed");
    const r = completed.response as { output: Array<{ type: string; content: Array<{ text: string }> }>; slopguard: unknown; status: string };
    expect(r.output.map((o) => o.content[0]!.text)).toEqual(["I will install.", "slopguard withheld…"]);
    expect(r.slopguard).toEqual({ verdict: "hallucination" });
    // Every item added was also done.
    const added = events.filter((x) => x.type === "response.output_item.added").length;
    expect(events.filter((x) => x.type === "response.output_item.done").length).toBe(added);
  });

  it("a failure before anything was sent still opens the response, then error and response.failed", () => {
    const e = new ResponsesEventEncoder(meta);
    const events = e.error(new ApiError(502, "Upstream failed", { code: "upstream_error" }).body());
    expect(events.map((x) => x.type)).toEqual(["response.created", "response.in_progress", "error", "response.failed"]);
    expect(events[2]).toMatchObject({ code: "upstream_error", message: "Upstream failed", error: { type: "server_error", code: "upstream_error" } });
    expect(e.terminal()).toEqual([]);
  });

  it("a collected stream and the JSON answer of the same parts say the same", async () => {
    const parts: StreamPart[] = [
      { type: "reasoning-start", id: "r" },
      { type: "reasoning-delta", id: "r", delta: "think" },
      { type: "reasoning-end", id: "r" },
      { type: "tool-call-start", id: "c", name: "crm__lookup", kind: "function" },
      { type: "tool-call-delta", id: "c", delta: "{}" },
      { type: "tool-call-end", id: "c" },
      { type: "finish", finishReason: "tool-calls", usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } },
    ];
    const names = new Map([["crm__lookup", { namespace: "crm", name: "lookup" }]]);
    const e = new ResponsesEventEncoder({ ...meta, names });
    const streamed = [...parts, { type: "report" as const, report: {} as never }].flatMap((p) => e.encode(p)).at(-1)!.response as { output: unknown[] };
    const { generation } = await collectStream(iterate(parts));
    const json = encodeResponse(generation, { ...meta, names });
    const strip = (items: unknown[]) => (items as Array<Record<string, unknown>>).map(({ id: _id, ...rest }) => rest);
    expect(strip(streamed.output)).toEqual(strip(json.output as unknown[]));
    expect(json.output).toEqual([
      { type: "reasoning", id: expect.stringMatching(/^rs_/), summary: [{ type: "summary_text", text: "think" }] },
      { type: "function_call", id: expect.stringMatching(/^fc_/), status: "completed", call_id: "c", name: "lookup", namespace: "crm", arguments: "{}" },
    ]);
  });
});
