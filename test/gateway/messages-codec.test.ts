/**
 * The Messages codec's edges that the SDK tests do not reach: what the stream decoder
 * refuses or skips, free-form (custom) tools of other APIs on an Anthropic upstream,
 * and request fields' round trip. Pure functions on parts; no server.
 */
import { describe, expect, it } from "vitest";
import type { ModelCall } from "../../src/core/parts.js";
import { UpstreamFormatError } from "../../src/codecs/errors.js";
import { MessagesRequestSchema } from "../../src/codecs/messages/schema.js";
import { decodeMessagesRequest, encodeMessagesRequest } from "../../src/codecs/messages/request.js";
import { decodeMessagesResponse } from "../../src/codecs/messages/response.js";
import { MessagesStreamDecoder, UpstreamStreamError } from "../../src/codecs/messages/stream.js";

const start = { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "m", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } };

describe("the Messages stream decoder", () => {
  it("refuses events before message_start, deltas of blocks that never started, and a stream without message_stop", () => {
    expect(() => new MessagesStreamDecoder().push({ type: "content_block_stop", index: 0 })).toThrow(UpstreamFormatError);
    const d = new MessagesStreamDecoder();
    d.push(start);
    expect(() => d.push({ type: "content_block_delta", index: 4, delta: { type: "text_delta", text: "x" } })).toThrow(/never started/);
    const cut = new MessagesStreamDecoder();
    cut.push(start);
    cut.push({ type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } });
    expect(() => cut.end()).toThrow(/message_stop/);
  });

  it("skips pings, unknown event types, citations deltas and server-tool blocks", () => {
    const d = new MessagesStreamDecoder();
    const parts = [
      start,
      { type: "ping" },
      { type: "some_future_event", data: 1 },
      { type: "content_block_start", index: 0, content_block: { type: "server_tool_use", id: "srv_1", name: "web_search", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"q":1}' } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 1, delta: { type: "citations_delta", citation: { type: "x" } } },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "hi" } },
      { type: "content_block_stop", index: 1 },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 2 } },
      { type: "message_stop" },
    ].flatMap((e) => d.push(e));
    expect([...parts, ...d.end()].map((p) => p.type)).toEqual(["response-info", "text-start", "text-delta", "text-end", "finish"]);
  });

  it("raises an upstream error event with its type", () => {
    const d = new MessagesStreamDecoder();
    d.push(start);
    expect(() => d.push({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } })).toThrow(UpstreamStreamError);
  });
});

describe("free-form (custom) tools on an Anthropic upstream", () => {
  const call: ModelCall = {
    prompt: [{ role: "user", content: [{ type: "text", text: "patch it" }] }],
    tools: [{ name: "apply_patch", kind: "custom", description: "Apply a patch" }],
  };

  it("go as a function with one string argument and come back as custom calls with their text", () => {
    const body = encodeMessagesRequest(call, { model: "m", stream: false, defaultMaxTokens: 100 });
    expect(body.tools).toEqual([{ name: "apply_patch", description: "Apply a patch", input_schema: { type: "object", properties: { input: { type: "string" } }, required: ["input"] } }]);
    expect(body.max_tokens).toBe(100);
    const g = decodeMessagesResponse(
      { id: "msg_2", type: "message", role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "apply_patch", input: { input: "*** Begin Patch" } }], stop_reason: "tool_use", usage: { input_tokens: 1, output_tokens: 1 } },
      { customTools: new Set(["apply_patch"]) },
    );
    expect(g.content).toEqual([{ type: "tool-call", id: "toolu_1", name: "apply_patch", input: "*** Begin Patch", kind: "custom" }]);
  });
});

describe("requests", () => {
  it("a bad block names what it lacks", () => {
    const r = MessagesRequestSchema.safeParse({ model: "m", max_tokens: 5, messages: [{ role: "assistant", content: [{ type: "tool_use", name: "x", input: {} }] }] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain("tool_use: id, name, input");
  });

  it("tool_choice any/tool/none map both ways, keeping disable_parallel_tool_use for an Anthropic upstream", () => {
    const req = MessagesRequestSchema.parse({
      model: "m", max_tokens: 5, messages: [{ role: "user", content: "x" }],
      tools: [{ name: "Bash", input_schema: { type: "object" } }],
      tool_choice: { type: "tool", name: "Bash", disable_parallel_tool_use: true },
    });
    const { call } = decodeMessagesRequest(req);
    expect(call.toolChoice).toEqual({ name: "Bash" });
    expect(encodeMessagesRequest(call, { model: "m", stream: false, defaultMaxTokens: 1 }).tool_choice).toEqual({ type: "tool", name: "Bash", disable_parallel_tool_use: true });
    expect(encodeMessagesRequest({ ...call, toolChoice: "required" }, { model: "m", stream: false, defaultMaxTokens: 1 }).tool_choice).toEqual({ type: "any", disable_parallel_tool_use: true });
  });
});
