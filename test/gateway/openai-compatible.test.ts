import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;
let viaGateway: OpenAI;
let direct: OpenAI;

beforeAll(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway({ config: { models: [upstreamModel(up), upstreamModel(up, { name: "up-retry", maxRetries: 1 })] }, services: { mitigationsFor: () => [] } });
  viaGateway = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
  direct = new OpenAI({ baseURL: up.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const messages = [{ role: "user" as const, content: "Which Python packages parse YAML?" }];

describe("openai-compatible provider through the gateway", () => {
  it("retries an upstream 503 when the model allows it, and returns the retried answer", async () => {
    const before = up.chatRequests().length;
    up.enqueue({ kind: "error", status: 503, message: "overloaded" }, { kind: "json", content: "answer after a retry" });
    const a = await viaGateway.chat.completions.create({ model: "up-retry", messages });
    expect(a.choices[0]!.message.content).toBe("answer after a retry");
    expect(up.chatRequests().length - before).toBe(2);
  });

  it("returns the same content as the upstream, non-streaming", async () => {
    up.enqueue({ kind: "json", content: "pyyaml, ruamel.yaml" }, { kind: "json", content: "pyyaml, ruamel.yaml" });
    const a = await viaGateway.chat.completions.create({ model: "up", messages, temperature: 0.2, seed: 7, max_tokens: 20 });
    const b = await direct.chat.completions.create({ model: "upstream-model", messages });
    expect(a.choices[0]!.message.content).toBe("pyyaml, ruamel.yaml");
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.model).toBe("up");
    expect(a.usage?.total_tokens).toBe(b.usage?.total_tokens);
    const sent = up.chatRequests().at(-2)!.body;
    expect(sent).toMatchObject({ model: "upstream-model", temperature: 0.2, seed: 7, max_tokens: 20, messages });
    expect(sent.stream).toBe(false);
  });

  it("passes every OpenAI parameter (and unknown vendor fields) through to the upstream", async () => {
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: {} } } }];
    const params = {
      top_p: 0.9,
      max_completion_tokens: 33,
      stop: ["\n\n"],
      n: 1,
      tools,
      tool_choice: "auto" as const,
      response_format: { type: "json_object" as const },
      user: "user-42",
      presence_penalty: 0.1,
      guided_json: { type: "object" },
    };
    await viaGateway.chat.completions.create({ model: "up", messages, ...params } as never);
    const sent = up.chatRequests().at(-1)!.body;
    expect(sent).toMatchObject({ ...params, model: "upstream-model" });
  });

  it("returns the same content as the upstream, streaming", async () => {
    const chunks = ["py", "yaml", ", ruamel", ".yaml"];
    up.enqueue({ kind: "stream", chunks }, { kind: "stream", chunks });
    const collect = async (client: OpenAI, model: string) => {
      const s = await client.chat.completions.create({ model, messages, stream: true });
      let text = "";
      let usageChunks = 0;
      for await (const c of s) {
        text += c.choices[0]?.delta.content ?? "";
        if (c.usage) usageChunks++;
      }
      return { text, usageChunks };
    };
    const a = await collect(viaGateway, "up");
    const b = await collect(direct, "upstream-model");
    expect(a.text).toBe("pyyaml, ruamel.yaml");
    expect(a).toEqual(b);
  });

  it("passes stream_options.include_usage through and returns the usage chunk", async () => {
    up.enqueue({ kind: "stream", chunks: ["a", "b"] });
    const s = await viaGateway.chat.completions.create({ model: "up", messages, stream: true, stream_options: { include_usage: true } });
    const usage = [];
    for await (const c of s) if (c.usage) usage.push(c.usage);
    expect(usage).toEqual([{ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 }]);
  });

  it("writes OpenAI's SSE bytes: data lines then [DONE]", async () => {
    up.enqueue({ kind: "stream", chunks: ["x"] });
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "up", messages, stream: true }),
    });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    const body = await res.text();
    const events = body.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    for (const e of events.slice(0, -1)) expect(() => JSON.parse(e.replace(/^data: /, ""))).not.toThrow();
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
  });
});
