/**
 * The scripted upstream speaks chat completions, the Responses API and the
 * Messages API well enough for the official SDKs (and so for the agents built
 * on them): checked here with `openai` and `@anthropic-ai/sdk` themselves, JSON
 * and stream, with several tool calls whose arguments arrive in many deltas.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedUpstream, type ModelAnswer, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

const twoCalls: ModelAnswer = {
  text: "Installing both.",
  toolCalls: [
    { name: "run_shell_command", input: { command: "pip install reqeusts-oauthlib2 && pip install flask" } },
    { name: "write_file", input: { file_path: "requirements.txt", content: "flask-restfull==0.3.10\narangoasync\n" } },
  ],
};
const chatTools = ["run_shell_command", "write_file"].map((name) => ({ type: "function" as const, function: { name, parameters: { type: "object", properties: {} } } }));
const responsesTools = ["run_shell_command", "write_file"].map((name) => ({ type: "function" as const, name, parameters: { type: "object", properties: {} }, strict: false }));
const anthropicTools = ["run_shell_command", "write_file"].map((name) => ({ name, input_schema: { type: "object" as const, properties: {} } }));

beforeAll(async () => {
  up = await startScriptedUpstream({ models: ["scripted"] });
  openai = new OpenAI({ baseURL: up.baseURL, apiKey: "x", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: up.url, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await up?.close();
});

/** The SSE events of the last request's answer, fetched raw (the SDKs hide the split into deltas). */
async function rawEvents(path: string, body: unknown): Promise<Array<{ event?: string; data: any }>> {
  const res = await fetch(`${up.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const text = await res.text();
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)![1]!;
      return { event, data: data === "[DONE]" ? data : JSON.parse(data) };
    });
}

describe("chat completions", () => {
  it("JSON: several tool calls, finish_reason tool_calls, arguments as JSON text", async () => {
    up.setModel(() => twoCalls);
    const r = await openai.chat.completions.create({ model: "scripted", messages: [{ role: "user", content: "set up" }], tools: chatTools });
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBe("Installing both.");
    const calls = choice.message.tool_calls!.map((c) => (c.type === "function" ? [c.function.name, JSON.parse(c.function.arguments)] : []));
    expect(calls).toEqual(twoCalls.toolCalls!.map((c) => [c.name, c.input]));
    expect(new Set(choice.message.tool_calls!.map((c) => c.id)).size).toBe(2);
  });

  it("stream: the SDK's accumulator rebuilds both calls from many argument deltas, then usage", async () => {
    up.setModel(() => ({ ...twoCalls, argChunkSize: 5 }));
    const stream = openai.chat.completions.stream({ model: "scripted", messages: [{ role: "user", content: "set up" }], tools: chatTools, stream_options: { include_usage: true } });
    let argDeltas = 0;
    let usageChunks = 0;
    for await (const chunk of stream) {
      argDeltas += chunk.choices[0]?.delta.tool_calls?.filter((t) => t.function?.arguments).length ?? 0;
      if (chunk.usage) usageChunks++;
    }
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe("tool_calls");
    const calls = final.choices[0]!.message.tool_calls!.map((c) => (c.type === "function" ? JSON.parse(c.function.arguments) : null));
    expect(calls).toEqual(twoCalls.toolCalls!.map((c) => c.input));
    const argChars = twoCalls.toolCalls!.reduce((n, c) => n + JSON.stringify(c.input).length, 0);
    expect(argDeltas).toBe(Math.ceil(JSON.stringify(twoCalls.toolCalls![0]!.input).length / 5) + Math.ceil(JSON.stringify(twoCalls.toolCalls![1]!.input).length / 5));
    expect(argDeltas).toBeGreaterThan(argChars / 6);
    expect(usageChunks).toBe(1);
  });

  it("the model sees tool results sent back as role tool messages", async () => {
    up.setModel((turn) => ({ text: `results: ${turn.toolResults.map((t) => `${t.callId}=${t.output}`).join(",")}` }));
    const r = await openai.chat.completions.create({
      model: "scripted",
      messages: [
        { role: "user", content: "set up" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_a", type: "function", function: { name: "run_shell_command", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "call_a", content: "ok" },
      ],
    });
    expect(r.choices[0]!.message.content).toBe("results: call_a=ok");
    expect(up.requestsOf("chat").at(-1)!.turn).toMatchObject({ api: "chat", lastUserText: "set up", toolCalls: [{ callId: "call_a", name: "run_shell_command" }] });
  });
});

describe("Responses API", () => {
  it("JSON: function_call items with call_id and the message's output_text", async () => {
    up.setModel(() => twoCalls);
    const r = await openai.responses.create({ model: "scripted", input: "set up", tools: responsesTools });
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe("Installing both.");
    const calls = r.output.filter((o) => o.type === "function_call");
    expect(calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual(twoCalls.toolCalls!.map((c) => [c.name, c.input]));
    expect(calls.every((c) => c.call_id.startsWith("call_"))).toBe(true);
    expect(r.usage!.total_tokens).toBeGreaterThan(0);
  });

  it("stream: typed events in the API's order, rebuilt by the SDK's ResponseStream", async () => {
    up.setModel(() => twoCalls);
    const stream = openai.responses.stream({ model: "scripted", input: "set up", tools: responsesTools });
    const types: string[] = [];
    const seq: number[] = [];
    for await (const e of stream) {
      types.push(e.type);
      seq.push(e.sequence_number);
    }
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("Installing both.");
    expect(final.output.filter((o) => o.type === "function_call").map((c) => JSON.parse(c.arguments))).toEqual(twoCalls.toolCalls!.map((c) => c.input));
    expect(seq).toEqual(seq.map((_, i) => i));
    const squeezed = types.filter((t, i) => t !== types[i - 1]);
    expect(squeezed).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(types.filter((t) => t === "response.function_call_arguments.delta").length).toBeGreaterThan(10);
  });

  it("stream: a custom (freeform) tool call, as Codex declares apply_patch, with input deltas", async () => {
    const patch = "*** Begin Patch\n*** Add File: requirements.txt\n+arangoasync\n*** End Patch\n";
    up.setModel(() => ({ toolCalls: [{ name: "apply_patch", input: patch, custom: true }] }));
    const events = await rawEvents("/v1/responses", { model: "scripted", input: "patch", stream: true });
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    const done = events.find((e) => e.event === "response.output_item.done")!.data.item;
    expect(done).toMatchObject({ type: "custom_tool_call", name: "apply_patch", input: patch });
    expect(events.filter((e) => e.event === "response.custom_tool_call_input.delta").map((e) => e.data.delta).join("")).toBe(patch);
    expect(events.at(-1)!.data.response.output[0]).toMatchObject({ type: "custom_tool_call", call_id: done.call_id });
  });

  it("the model sees function_call_output and custom_tool_call_output items", async () => {
    up.setModel((turn) => ({ text: turn.toolResults.map((t) => `${t.callId}=${t.output}`).join(",") }));
    const r = await openai.responses.create({
      model: "scripted",
      input: [
        { role: "user", content: "set up" },
        { type: "function_call", call_id: "call_x", name: "exec_command", arguments: "{}" },
        { type: "function_call_output", call_id: "call_x", output: "installed" },
        { type: "custom_tool_call", call_id: "call_y", name: "apply_patch", input: "*** Begin Patch" },
        { type: "custom_tool_call_output", call_id: "call_y", output: "patched" },
      ],
    });
    expect(r.output_text).toBe("call_x=installed,call_y=patched");
    expect(up.requestsOf("responses").at(-1)!.turn!.toolCalls.map((c) => c.name)).toEqual(["exec_command", "apply_patch"]);
  });
});

describe("Messages API", () => {
  it("JSON: tool_use blocks and stop_reason tool_use", async () => {
    up.setModel(() => twoCalls);
    const m = await anthropic.messages.create({ model: "scripted", max_tokens: 100, messages: [{ role: "user", content: "set up" }], tools: anthropicTools });
    expect(m.stop_reason).toBe("tool_use");
    expect(m.content[0]).toMatchObject({ type: "text", text: "Installing both." });
    const uses = m.content.filter((b) => b.type === "tool_use");
    expect(uses.map((b) => [b.name, b.input])).toEqual(twoCalls.toolCalls!.map((c) => [c.name, c.input]));
  });

  it("stream: the SDK's MessageStream rebuilds tool inputs from input_json_delta pieces", async () => {
    up.setModel(() => twoCalls);
    const stream = anthropic.messages.stream({ model: "scripted", max_tokens: 100, messages: [{ role: "user", content: "set up" }], tools: anthropicTools });
    const types: string[] = [];
    let jsonDeltas = 0;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "content_block_delta" && e.delta.type === "input_json_delta") jsonDeltas++;
    }
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content.filter((b) => b.type === "tool_use").map((b) => b.input)).toEqual(twoCalls.toolCalls!.map((c) => c.input));
    expect(final.content[0]).toMatchObject({ type: "text", text: "Installing both." });
    expect(jsonDeltas).toBeGreaterThan(10);
    expect(types[0]).toBe("message_start");
    expect(types.at(-2)).toBe("message_delta");
    expect(types.at(-1)).toBe("message_stop");
  });

  it("stream on the wire: message_start, ping, blocks, message_delta, message_stop with event: lines", async () => {
    up.setModel(() => ({ text: "hi" }));
    const events = await rawEvents("/v1/messages", { model: "scripted", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(events.map((e) => e.event)).toEqual(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events[5]!.data.delta.stop_reason).toBe("end_turn");
  });

  it("the model sees tool_result blocks; count_tokens and model listing answer", async () => {
    up.setModel((turn) => ({ text: `${turn.lastUserText}: ${turn.toolResults.map((t) => `${t.callId}=${t.output}`).join(",")}` }));
    const m = await anthropic.messages.create({
      model: "scripted",
      max_tokens: 50,
      messages: [
        { role: "user", content: "set up" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_a", name: "Bash", input: { command: "pip install x" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_a", content: [{ type: "text", text: "done" }] }] },
      ],
    });
    expect(m.content[0]).toMatchObject({ type: "text", text: "set up: toolu_a=done" });
    const count = await anthropic.messages.countTokens({ model: "scripted", messages: [{ role: "user", content: "how many tokens is this" }] });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await anthropic.models.list();
    expect(models.data.map((x) => x.id)).toEqual(["scripted"]);
    expect(up.requestsOf("count_tokens")).toHaveLength(1);
  });

  it("plain actions mean the same in every API: an error status reaches the SDK as its own error type", async () => {
    up.enqueue({ kind: "error", status: 529, message: "overloaded" });
    await expect(anthropic.messages.create({ model: "scripted", max_tokens: 5, messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 529,
      error: { type: "error", error: { type: "overloaded_error", message: "overloaded" } },
    });
    up.enqueue({ kind: "stream", chunks: ["a", "b", "c"] });
    const text = await anthropic.messages.stream({ model: "scripted", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).finalText();
    expect(text).toBe("abc");
  });

  it("a request that is not valid for its API gets a 400 from the scripted model, naming the problem", async () => {
    up.setModel(() => ({ text: "never" }));
    const res = await fetch(`${up.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not a valid messages request.*messages/s);
  });
});
