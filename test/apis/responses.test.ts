/**
 * POST /v1/responses through the real gateway, read by openai-node's own Responses
 * client (`responses.create`, `responses.stream()`, `create({stream: true})`), in front
 * of the scripted upstream as a chat upstream (`chat-up`: translated through the parts
 * core) and as a Responses upstream (`resp-up`: passed through natively).
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelTurn } from "../helpers/scripted-upstream.js";
import { MODELS, parseEvents, postResponses, startResponsesHarness, type ResponsesHarness } from "./responses-setup.js";

let h: ResponsesHarness;

beforeAll(async () => {
  h = await startResponsesHarness();
});
afterAll(() => h?.close());

const SHELL: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "run_shell_command",
  description: "Runs a shell command",
  parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
  strict: false,
};
const APPLY_PATCH = { type: "custom" as const, name: "apply_patch", description: "Edits files", format: { type: "grammar" as const, syntax: "lark" as const, definition: "start: /.+/s" } };

/** The last request the upstream got, in whichever API it was sent. */
const lastUpstream = () => h.up.requests.at(-1)!;

describe.each(MODELS)("%s: text answers", (model) => {
  it("JSON: a Response object with the answer, usage, the report as an extra field and the X-Slopguard headers", async () => {
    h.up.setModel(() => ({ text: "Run `pip install pyyaml` to parse YAML." }));
    const { data, response } = await h.client.responses
      .create({ model, instructions: "Answer briefly.", input: "Which package parses YAML?", max_output_tokens: 50, temperature: 0.3 })
      .withResponse();
    expect(data.object).toBe("response");
    expect(data.id).toMatch(/^resp_/);
    expect(data.status).toBe("completed");
    expect(data.model).toBe(model);
    expect(data.output_text).toBe("Run `pip install pyyaml` to parse YAML.");
    expect(data.output).toEqual([{ type: "message", id: expect.stringMatching(/^msg_/), status: "completed", role: "assistant", content: [expect.objectContaining({ type: "output_text", text: "Run `pip install pyyaml` to parse YAML." })] }]);
    expect(data.usage).toMatchObject({ input_tokens: 9, output_tokens: expect.any(Number) });
    expect(data.usage!.total_tokens).toBe(data.usage!.input_tokens + data.usage!.output_tokens);
    expect(data.instructions).toBe("Answer briefly.");
    expect(data.max_output_tokens).toBe(50);
    expect((data as any).slopguard).toMatchObject({ profile: "default", verdict: "clean", action: "annotated" });
    expect(response.headers.get("x-slopguard-verdict")).toBe("clean");
    const sent = lastUpstream();
    if (model === "chat-up") {
      expect(sent.api).toBe("chat");
      expect(sent.body).toMatchObject({ messages: [{ role: "system", content: "Answer briefly." }, { role: "user", content: "Which package parses YAML?" }], max_tokens: 50, temperature: 0.3, stream: false });
    } else {
      expect(sent.api).toBe("responses");
      expect(sent.body).toMatchObject({ instructions: "Answer briefly.", input: [{ type: "message", role: "user", content: "Which package parses YAML?" }], max_output_tokens: 50, temperature: 0.3, stream: false });
      // The upstream's own response id reaches the client, so previous_response_id can refer to it.
      expect(data.id).toMatch(/^resp_\d+$/);
    }
  });

  it("stream: responses.stream() gets the deltas, and finalResponse() the text and the report", async () => {
    h.up.setModel(() => ({ text: "Run `pip install pyyaml` to parse YAML." }));
    const stream = h.client.responses.stream({ model, input: [{ role: "user", content: "Which package parses YAML?" }] });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join("")).toBe("Run `pip install pyyaml` to parse YAML.");
    expect(deltas.length).toBeGreaterThan(1);
    expect(final.output_text).toBe("Run `pip install pyyaml` to parse YAML.");
    expect(final.status).toBe("completed");
    expect(final.usage?.input_tokens).toBe(9);
    expect((final as any).slopguard).toMatchObject({ verdict: "clean", action: "annotated" });
    expect(lastUpstream().body.stream).toBe(true);
  });

  it("stream: typed events in OpenAI's order, each with the next sequence_number, the report on response.completed", async () => {
    h.up.setModel(() => ({ text: "Hello there" })); // no package: verdict none
    const { res, text } = await postResponses(h.gw, { model, input: "hi", stream: true });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-slopguard-profile")).toBe("default");
    const events = parseEvents(text);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.data.type).filter((t, i, all) => t !== all[i - 1]);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const created = events[0]!.data.response;
    const completed = events.at(-1)!.data.response;
    expect(created).toMatchObject({ status: "in_progress", output: [], model });
    expect(completed.id).toBe(created.id);
    expect(completed.output[0].content[0].text).toBe("Hello there");
    expect(completed.slopguard).toMatchObject({ verdict: "none", action: "annotated" });
    expect(text).not.toContain("[DONE]");
  });

  it("create({stream: true}) yields the same typed events to the SDK's iterator", async () => {
    h.up.setModel(() => ({ text: "one two three" }));
    const stream = await h.client.responses.create({ model, input: "count", stream: true });
    let text = "";
    let last: OpenAI.Responses.ResponseStreamEvent | undefined;
    for await (const e of stream) {
      if (e.type === "response.output_text.delta") text += e.delta;
      last = e;
    }
    expect(text).toBe("one two three");
    expect(last?.type).toBe("response.completed");
  });
});

describe.each(MODELS)("%s: tool calls", (model) => {
  const calls = (turn: ModelTurn) =>
    turn.toolResults.length
      ? { text: `done: ${turn.toolResults.map((r) => r.output).join(", ")}` }
      : { toolCalls: [{ id: "call_a", name: "run_shell_command", input: { command: "ls -la" } }, { id: "call_b", name: "apply_patch", input: "*** Begin Patch\n*** End Patch\n", custom: model === "resp-up" }] };

  it("JSON: function_call and custom_tool_call items; the outputs go back as function_call_output / custom_tool_call_output", async () => {
    h.up.setModel(calls);
    const tools = [SHELL, APPLY_PATCH];
    const first = await h.client.responses.create({ model, input: "list files, then patch", tools });
    const [call, patch] = first.output;
    expect(call).toMatchObject({ type: "function_call", call_id: "call_a", name: "run_shell_command", status: "completed", id: expect.stringMatching(/^fc_/) });
    expect(JSON.parse((call as OpenAI.Responses.ResponseFunctionToolCall).arguments)).toEqual({ command: "ls -la" });
    // The scripted chat upstream calls apply_patch as a function (JSON arguments); a Responses upstream as a custom tool.
    if (model === "resp-up") expect(patch).toMatchObject({ type: "custom_tool_call", call_id: "call_b", name: "apply_patch", input: "*** Begin Patch\n*** End Patch\n" });
    else expect(patch).toMatchObject({ type: "function_call", call_id: "call_b", name: "apply_patch", arguments: JSON.stringify("*** Begin Patch\n*** End Patch\n") });
    expect((first as any).slopguard.action).toBe("annotated");

    const second = await h.client.responses.create({
      model,
      tools,
      input: [
        { role: "user", content: "list files, then patch" },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: "call_a", output: "total 0" },
        { type: "custom_tool_call_output", call_id: "call_b", output: "patched" },
      ],
    });
    expect(second.output_text).toBe("done: total 0, patched");
    const sent = lastUpstream();
    expect(sent.turn!.toolResults).toEqual([{ callId: "call_a", output: "total 0" }, { callId: "call_b", output: "patched" }]);
    if (model === "chat-up") {
      expect(sent.body.messages.map((m: any) => m.role)).toEqual(["user", "assistant", "tool", "tool"]);
      expect(sent.body.tools.map((t: any) => t.type)).toEqual(["function", "custom"]);
    } else {
      expect(sent.body.input.map((i: any) => i.type)).toEqual(["message", "function_call", "custom_tool_call", "function_call_output", "custom_tool_call_output"]);
      // Items the client sent back reach the upstream as they were (ids, statuses).
      expect(sent.body.input[1]).toEqual(first.output[0]);
      // The client's custom tool reaches the upstream with its grammar.
      expect(sent.body.tools[1]).toEqual(APPLY_PATCH);
    }
  });

  it("stream: arguments arrive as function_call_arguments / custom_tool_call_input deltas, and the SDK assembles them", async () => {
    h.up.setModel(calls);
    const stream = h.client.responses.stream({ model, input: "list files, then patch", tools: [SHELL, APPLY_PATCH] });
    const argDeltas: string[] = [];
    let shellItem: string | undefined;
    stream.on("response.output_item.added", (e) => void (e.item.type === "function_call" && e.item.name === "run_shell_command" && (shellItem = e.item.id)));
    stream.on("response.function_call_arguments.delta", (e) => void (e.item_id === shellItem && argDeltas.push(e.delta)));
    const events: string[] = [];
    stream.on("event", (e) => events.push(e.type));
    const final = await stream.finalResponse();
    expect(argDeltas.length).toBeGreaterThan(1);
    expect(JSON.parse(argDeltas.join(""))).toEqual({ command: "ls -la" });
    const call = final.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: "function_call", call_id: "call_a", name: "run_shell_command", status: "completed" });
    expect(JSON.parse(call.arguments)).toEqual({ command: "ls -la" });
    expect(final.output[1]).toMatchObject({ call_id: "call_b", name: "apply_patch" });
    expect(events).toContain("response.function_call_arguments.done");
    if (model === "resp-up") {
      expect(final.output[1]).toMatchObject({ type: "custom_tool_call", input: "*** Begin Patch\n*** End Patch\n" });
      expect(events).toContain("response.custom_tool_call_input.delta");
      expect(events).toContain("response.custom_tool_call_input.done");
    }
    expect(events.at(-1)).toBe("response.completed");
  });

  it("namespace tools: flattened for a chat upstream, passed as they are to a Responses upstream; calls come back namespaced", async () => {
    h.up.setModel((turn) => ({ toolCalls: [{ id: "call_ns", name: turn.api === "chat" ? "crm__lookup" : "crm__lookup", input: { q: "x" } }] }));
    const namespace = { type: "namespace", name: "crm", description: "CRM tools", tools: [{ type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } }, strict: false }] };
    const r = await h.client.responses.create({ model, input: "look it up", tools: [namespace as never, SHELL] });
    expect(r.output[0]).toMatchObject({ type: "function_call", call_id: "call_ns", name: "lookup", namespace: "crm" });
    const sent = lastUpstream().body;
    if (model === "chat-up") expect(sent.tools.map((t: any) => t.function.name)).toEqual(["crm__lookup", "run_shell_command"]);
    else expect(sent.tools).toEqual([namespace, SHELL]);
  });
});

describe("validation and errors in OpenAI's shape", () => {
  it("an input item missing a field is a 400 naming it", async () => {
    const { res, text } = await postResponses(h.gw, { model: "chat-up", input: [{ role: "user", content: "x" }, { type: "function_call", name: "f", arguments: "{}" }] });
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error).toMatchObject({ type: "invalid_request_error", param: "input[1].call_id", code: "invalid_value" });
  });

  it("a missing input, a bad temperature and an unknown model are 400/404 for the SDK", async () => {
    await expect(h.client.responses.create({ model: "chat-up" } as never)).rejects.toMatchObject({ status: 400, param: "input" });
    await expect(h.client.responses.create({ model: "chat-up", input: "x", temperature: 3 })).rejects.toMatchObject({ status: 400, param: "temperature" });
    await expect(h.client.responses.create({ model: "nope", input: "x" })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("previous_response_id: refused with a chat upstream (nothing is stored), passed on to a Responses upstream", async () => {
    await expect(h.client.responses.create({ model: "chat-up", input: "and then?", previous_response_id: "resp_1" })).rejects.toMatchObject({
      status: 400,
      code: "previous_response_not_supported",
      param: "previous_response_id",
    });
    h.up.setModel(() => ({ text: "continued" }));
    const r = await h.client.responses.create({ model: "resp-up", input: "and then?", previous_response_id: "resp_1", store: true });
    expect(r.output_text).toBe("continued");
    expect((r as any).store).toBe(true);
    expect(lastUpstream().body).toMatchObject({ previous_response_id: "resp_1", store: true });
  });

  it("an upstream that fails before the answer gives its status to JSON and stream alike", async () => {
    for (const stream of [false, true]) {
      h.up.enqueue({ kind: "error", status: 503, message: "overloaded" });
      const { res, text } = await postResponses(h.gw, { model: "resp-up", input: "x", stream });
      expect(res.status).toBe(502);
      expect(JSON.parse(text).error).toMatchObject({ code: "upstream_error", message: expect.stringContaining("overloaded") });
    }
  });

  it("a stream cut mid-answer ends with an error event and response.failed, never response.completed; the SDK raises", async () => {
    for (const model of MODELS) {
      h.up.enqueue({ kind: "reset", chunks: ["partial ", "answer"] });
      const { text } = await postResponses(h.gw, { model, input: "x", stream: true });
      const types = parseEvents(text).map((e) => e.data.type);
      expect(types).toContain("response.output_text.delta");
      expect(types.slice(-2)).toEqual(["error", "response.failed"]);
      expect(types).not.toContain("response.completed");
      h.up.enqueue({ kind: "reset", chunks: ["partial ", "answer"] });
      await expect(h.client.responses.stream({ model, input: "x" }).finalResponse()).rejects.toThrow(/Upstream/);
    }
  });

  it("a chat upstream's length finish is status incomplete (JSON) and response.incomplete (stream)", async () => {
    h.up.setModel(() => ({ text: "cut short", finishReason: "length" }));
    const r = await h.client.responses.create({ model: "chat-up", input: "long answer", max_output_tokens: 16 });
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details).toEqual({ reason: "max_output_tokens" });
    const { text } = await postResponses(h.gw, { model: "chat-up", input: "long answer", stream: true });
    const last = parseEvents(text).at(-1)!.data;
    expect(last.type).toBe("response.incomplete");
    expect(last.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
  });
});
