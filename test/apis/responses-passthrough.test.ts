/**
 * A Responses client in front of a Responses upstream: what Codex sends (reasoning
 * items with `encrypted_content`, `include`, `store: false`, `prompt_cache_key`,
 * `client_metadata`, built-in tools) reaches the upstream unchanged, and what the
 * upstream answers (reasoning items, built-in tool items, unknown fields) reaches the
 * client. The same requests through a chat upstream keep only what chat can carry.
 * Upstream failures the scripted upstream cannot produce (malformed answers, a stream
 * that ends cleanly without `response.completed`, `response.failed`) come from a raw one.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { parseEvents, postResponses, startRawUpstream, startResponsesHarness, upstreamResponse, type ResponsesHarness } from "./responses-setup.js";

let h: ResponsesHarness;
let raw: Awaited<ReturnType<typeof startRawUpstream>>;
let rawGw: TestGateway;
let rawClient: OpenAI;

beforeAll(async () => {
  h = await startResponsesHarness();
  raw = await startRawUpstream();
  rawGw = await startGateway({ config: { models: [upstreamModel(raw, { name: "raw", provider: "openai-responses" })] }, services: { mitigationsFor: () => [] } });
  rawClient = new OpenAI({ baseURL: rawGw.baseURL, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await rawGw?.close();
  await raw?.close();
  await h?.close();
});

const REASONING = { type: "reasoning", id: "rs_prev", summary: [{ type: "summary_text", text: "Thinking about ls." }], encrypted_content: "gAAAAB-opaque-blob" };
const CODEX_LIKE = {
  input: [
    { type: "message", id: "msg_dev", role: "developer", content: [{ type: "input_text", text: "You are Codex." }] },
    { type: "message", role: "user", content: [{ type: "input_text", text: "list the files" }] },
    REASONING,
    { type: "function_call", id: "fc_prev", status: "completed", call_id: "call_prev", name: "exec_command", arguments: '{"cmd":"ls"}' },
    { type: "function_call_output", call_id: "call_prev", output: "a.txt" },
    { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "x" } },
  ],
  tools: [
    { type: "function", name: "exec_command", parameters: { type: "object", properties: { cmd: { type: "string" } } }, strict: false },
    { type: "web_search", external_web_access: true },
    { type: "tool_search", execution: "client", description: "find tools" },
  ],
  tool_choice: "auto",
  parallel_tool_calls: true,
  reasoning: { effort: "medium" },
  store: false,
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "thread-1",
  text: { verbosity: "low" },
  client_metadata: { turn_id: "t1" },
  x_vendor_extension: { keep: true },
};

describe("Responses client → Responses upstream: native pass-through", () => {
  it("what Codex sends reaches the upstream unchanged: reasoning items, built-in tools and items, unknown fields", async () => {
    h.up.setModel(() => ({ text: "Here are the files." }));
    const r = await h.client.responses.create({ model: "resp-up", ...CODEX_LIKE } as never);
    expect((r as OpenAI.Responses.Response).output_text).toBe("Here are the files.");
    const sent = h.up.requestsOf("responses").at(-1)!.body;
    expect(sent).toEqual({ ...CODEX_LIKE, model: "upstream-model", stream: false });
  });

  it("through a chat upstream only what chat carries is sent: no reasoning, no built-in tools or items, no Responses fields", async () => {
    h.up.setModel(() => ({ text: "Here are the files." }));
    const r = await h.client.responses.create({ model: "chat-up", ...CODEX_LIKE } as never);
    expect((r as OpenAI.Responses.Response).output_text).toBe("Here are the files.");
    const sent = h.up.chatRequests().at(-1)!.body;
    expect(sent.messages).toEqual([
      { role: "system", content: "You are Codex." },
      { role: "user", content: "list the files" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_prev", type: "function", function: { name: "exec_command", arguments: '{"cmd":"ls"}' } }] },
      { role: "tool", tool_call_id: "call_prev", content: "a.txt" },
    ]);
    expect(sent.tools).toEqual([{ type: "function", function: { name: "exec_command", parameters: { type: "object", properties: { cmd: { type: "string" } } } } }]);
    for (const k of ["include", "store", "prompt_cache_key", "reasoning", "client_metadata", "x_vendor_extension", "text"]) expect(sent).not.toHaveProperty(k);
    // The gateway keeps nothing, and says so.
    expect((r as any).store).toBe(false);
  });

  it("a chat client in front of a Responses upstream is translated: messages to input items, tools to Responses tools", async () => {
    h.up.setModel(() => ({ text: "ok" }));
    const c = await h.client.chat.completions.create({
      model: "resp-up",
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }],
      max_tokens: 30,
    });
    expect(c.choices[0]!.message.content).toBe("ok");
    const sent = h.up.requestsOf("responses").at(-1)!.body;
    expect(sent).toEqual({
      model: "upstream-model",
      input: [{ type: "message", role: "system", content: "Be brief." }, { type: "message", role: "user", content: "hi" }],
      tools: [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} }, strict: false }],
      max_output_tokens: 30,
      store: false,
      stream: false,
    });
  });
});

describe("answers of a Responses upstream", () => {
  const output = [
    { ...REASONING, id: "rs_new", encrypted_content: "gAAAAB-new" },
    { type: "web_search_call", id: "ws_2", status: "completed", action: { type: "search", query: "pyyaml" } },
    { type: "message", id: "msg_up", status: "completed", role: "assistant", content: [{ type: "output_text", text: "pyyaml", annotations: [{ type: "url_citation", url: "http://127.0.0.1/x", start_index: 0, end_index: 6, title: "x" }], logprobs: [] }] },
  ];

  it("JSON: reasoning with encrypted_content, built-in tool items and annotations reach the client as the upstream sent them", async () => {
    raw.answer({ json: upstreamResponse("resp_up1", output) });
    const r = await rawClient.responses.create({ model: "raw", input: "which package parses YAML?", include: ["reasoning.encrypted_content"] });
    expect(r.id).toBe("resp_up1");
    expect(r.model).toBe("raw");
    expect(r.output).toEqual(output);
    expect((r as any).service_tier).toBe("default");
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, output_tokens_details: { reasoning_tokens: 5 } });
  });

  it("stream: reasoning summary events, and the finished reasoning item with its encrypted_content", async () => {
    raw.answer({ events: upstreamEvents("resp_up2", output) });
    const stream = rawClient.responses.stream({ model: "raw", input: "which package parses YAML?" });
    const summary: string[] = [];
    stream.on("response.reasoning_summary_text.delta", (e) => summary.push(e.delta));
    const final = await stream.finalResponse();
    expect(summary.join("")).toBe("Thinking about ls.");
    expect(final.id).toBe("resp_up2");
    expect(final.output[0]).toEqual(output[0]);
    expect(final.output_text).toBe("pyyaml");
  });

  it("a malformed answer is a 502 upstream_malformed", async () => {
    for (const json of [{}, { id: "resp_x", output: null }, { id: "resp_x", status: "completed", output: [{ type: "function_call", name: "f", arguments: "{}" }] }]) {
      raw.answer({ json });
      await expect(rawClient.responses.create({ model: "raw", input: "x" })).rejects.toMatchObject({ status: 502, code: "upstream_malformed" });
    }
  });

  it("a failed response (JSON) and a response.failed event (stream) are 502 upstream_error with the upstream's message", async () => {
    raw.answer({ json: { ...upstreamResponse("resp_f", [], "failed"), error: { code: "server_error", message: "the model crashed" } } });
    await expect(rawClient.responses.create({ model: "raw", input: "x" })).rejects.toMatchObject({ status: 502, code: "upstream_error", message: expect.stringContaining("the model crashed") });
    const failed = { type: "response.failed", sequence_number: 2, response: { ...upstreamResponse("resp_f", [], "failed"), error: { code: "server_error", message: "the model crashed" } } };
    raw.answer({ events: [...upstreamEvents("resp_f", []).slice(0, 2), failed] });
    const { res, text } = await postResponses(rawGw, { model: "raw", input: "x", stream: true });
    expect(res.status).toBe(200); // the upstream had started its response
    const [error, last] = parseEvents(text).slice(-2).map((e) => e.data);
    expect(error).toMatchObject({ type: "error", code: "upstream_error", message: expect.stringContaining("the model crashed") });
    expect(last).toMatchObject({ type: "response.failed", response: { status: "failed", error: { code: "upstream_error" } } });
  });

  it("an error event mid-stream (OpenAI nests the error) ends the client's stream with an error event and response.failed", async () => {
    const events = upstreamEvents("resp_e", [output[2]!]);
    const error = { type: "error", sequence_number: 99, error: { type: "server_error", code: "server_error", message: "the upstream fell over", param: null } };
    raw.answer({ events: [...events.slice(0, 5), error] });
    const { text } = await postResponses(rawGw, { model: "raw", input: "x", stream: true });
    const [err, failed] = parseEvents(text).slice(-2).map((e) => e.data);
    expect(err).toMatchObject({ type: "error", code: "upstream_error", message: expect.stringContaining("the upstream fell over") });
    expect(failed.type).toBe("response.failed");
  });

  it("a stream that ends cleanly without response.completed is refused: error event, response.failed, no completion", async () => {
    const events = upstreamEvents("resp_t", [output[2]!]);
    raw.answer({ events: events.slice(0, -2) }); // cut before output_item.done and response.completed
    const { res, text } = await postResponses(rawGw, { model: "raw", input: "x", stream: true });
    expect(res.status).toBe(200);
    const types = parseEvents(text).map((e) => e.data.type);
    expect(types).toContain("response.output_text.delta");
    expect(types.slice(-2)).toEqual(["error", "response.failed"]);
    expect(types).not.toContain("response.completed");
    const error = parseEvents(text).at(-2)!.data;
    expect(error).toMatchObject({ code: "upstream_malformed", message: expect.stringContaining("truncated"), error: { code: "upstream_malformed" } });
    raw.answer({ events: events.slice(0, -2) });
    await expect(rawClient.responses.stream({ model: "raw", input: "x" }).finalResponse()).rejects.toThrow(/truncated/);
  });
});

/** The events a Responses upstream streams for `output`: text and reasoning in pieces. */
function upstreamEvents(id: string, output: any[]): any[] {
  let seq = 0;
  const ev = (type: string, fields: object) => ({ type, sequence_number: seq++, ...fields });
  const frame = upstreamResponse(id, [], "in_progress");
  const out = [ev("response.created", { response: frame }), ev("response.in_progress", { response: frame })];
  output.forEach((item, i) => {
    const at = { item_id: item.id, output_index: i };
    if (item.type === "reasoning") {
      out.push(ev("response.output_item.added", { output_index: i, item: { type: "reasoning", id: item.id, summary: [] } }));
      out.push(ev("response.reasoning_summary_part.added", { ...at, summary_index: 0, part: { type: "summary_text", text: "" } }));
      for (const d of ["Thinking ", "about ", "ls."]) out.push(ev("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta: d }));
      out.push(ev("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: item.summary[0].text }));
      out.push(ev("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: item.summary[0] }));
    } else if (item.type === "message") {
      out.push(ev("response.output_item.added", { output_index: i, item: { ...item, status: "in_progress", content: [] } }));
      out.push(ev("response.content_part.added", { ...at, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }));
      for (const d of ["py", "yaml"]) out.push(ev("response.output_text.delta", { ...at, content_index: 0, delta: d }));
      out.push(ev("response.output_text.done", { ...at, content_index: 0, text: item.content[0].text }));
      out.push(ev("response.content_part.done", { ...at, content_index: 0, part: item.content[0] }));
    } else {
      out.push(ev("response.output_item.added", { output_index: i, item: { ...item, status: "in_progress" } }));
    }
    out.push(ev("response.output_item.done", { output_index: i, item }));
  });
  out.push(ev("response.completed", { response: upstreamResponse(id, output) }));
  return out;
}
