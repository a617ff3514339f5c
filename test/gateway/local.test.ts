/**
 * The local provider with the real testbed GGUF (threads: 1), through the gateway
 * and the real openai client.
 */
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeChatRequest } from "../../src/codecs/chat/request.js";
import { textOf } from "../../src/core/stream.js";
import { repoRoot, startGateway, testbedModel, type TestGateway } from "../helpers/gateway.js";

const LISTING_SYSTEM =
  "You are a coding assistant that recommends Python packages that would be helpful to solve given problems. " +
  "Respond with only a list of Python packages, separated by commas and without additional text or formatting.";
const listing = (task: string) => [
  { role: "system" as const, content: LISTING_SYSTEM },
  { role: "user" as const, content: `Which Python packages would be useful in solving the following coding problem: ${task}` },
];
/** The same prompt as a provider-neutral call, as the chat codec decodes it. */
const listingCall = (task: string) => decodeChatRequest({ model: "testbed", messages: listing(task) }).call;
/**
 * Forces the byte token "a" (id 103): generation runs to max_tokens, deterministically
 * long. (node-llama-cpp ignores biases on end-of-generation tokens, so banning EOS does not work.)
 */
const FORCE_A = { "103": 100 };

let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  gw = await startGateway({ config: { models: [testbedModel({ sequences: 1, queueLimit: 1 })] }, services: { mitigationsFor: () => [] } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
});

describe("local provider (testbed GGUF)", () => {
  it("answers a trained listing prompt, non-streaming, with usage", async () => {
    const r = await client.chat.completions.create({ model: "testbed", messages: listing("Parse command line arguments."), temperature: 0 });
    const text = r.choices[0]!.message.content!;
    expect(text).toMatch(/^[\w.-]+(, [\w.-]+){0,4}$/);
    expect(text).toContain("click");
    expect(r.choices[0]!.finish_reason).toBe("stop");
    expect(r.usage!.prompt_tokens).toBeGreaterThan(40);
    expect(r.usage!.completion_tokens).toBeGreaterThan(0);
    expect(r.model).toBe("testbed");
  });

  it("streams the same text as the non-streaming answer (greedy)", async () => {
    const messages = [
      { role: "system" as const, content: "You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use." },
      { role: "user" as const, content: "Generate Python code that parses command line arguments" },
    ];
    const whole = await client.chat.completions.create({ model: "testbed", messages, temperature: 0, max_tokens: 80 });
    const s = await client.chat.completions.create({ model: "testbed", messages, temperature: 0, max_tokens: 80, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage;
    for await (const c of s) {
      text += c.choices[0]?.delta.content ?? "";
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(text).toContain("pip install");
    expect(usage).toEqual(whole.usage);
  });

  it("bounds the completion by max_tokens (finish_reason length)", async () => {
    const r = await client.chat.completions.create({ model: "testbed", messages: listing("Parse YAML files."), max_tokens: 6, logit_bias: FORCE_A } as never);
    const c = r as OpenAI.ChatCompletion;
    expect(c.choices[0]!.finish_reason).toBe("length");
    expect(c.usage!.completion_tokens).toBe(6);
    expect(c.choices[0]!.message.content).toBe("aaaaaa");
  });

  it("does function calling: a required tool call comes back as a tool call whose arguments fit the tool's schema, JSON and stream", async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: "function",
        function: {
          name: "run_shell_command",
          description: "Run a shell command",
          parameters: { type: "object", properties: { command: { type: "string", maxLength: 40 }, timeout: { type: "integer", maximum: 600 } }, required: ["command"] },
        },
      },
      { type: "function", function: { name: "write_file", parameters: { type: "object", properties: { path: { type: "string", maxLength: 20 } }, required: ["path"] } } },
    ];
    const messages = [{ role: "user" as const, content: "Install the package you need to parse YAML files." }];
    const r = await client.chat.completions.create({ model: "testbed", messages, tools, tool_choice: { type: "function", function: { name: "run_shell_command" } }, temperature: 0, max_tokens: 200 });
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe("run_shell_command");
    expect(call.id).toMatch(/^call_/);
    const args = JSON.parse(call.function.arguments);
    expect(typeof args.command).toBe("string");
    // An optional argument the model left out is dropped, not sent as null.
    expect(Object.keys(args).every((k) => ["command", "timeout"].includes(k) && args[k] !== null)).toBe(true);

    const s = await client.chat.completions.create({ model: "testbed", messages, tools, tool_choice: "required", temperature: 0, max_tokens: 200, stream: true });
    let name = "";
    let argText = "";
    let finish: string | null = null;
    for await (const c of s) {
      for (const d of c.choices[0]?.delta.tool_calls ?? []) {
        name += d.function?.name ?? "";
        argText += d.function?.arguments ?? "";
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(["run_shell_command", "write_file"]).toContain(name);
    expect(typeof JSON.parse(argText)).toBe("object");
    expect(finish).toBe("tool_calls");
  });

  it("refuses a tool_choice that names no offered tool", async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "testbed", messages: listing("x"), tools: [{ type: "function", function: { name: "a", parameters: { type: "object", properties: {} } } }], tool_choice: { type: "function", function: { name: "b" } } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_tool_choice");
  });

  it("honours stop sequences", async () => {
    const r = await client.chat.completions.create({ model: "testbed", messages: listing("Parse command line arguments."), temperature: 0, stop: [","] });
    expect(r.choices[0]!.message.content).not.toContain(",");
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it("answers 429 with Retry-After when the sequence and the queue are full", async () => {
    const long = () =>
      fetch(`${gw.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "testbed", messages: listing("Parse YAML files."), max_tokens: 150, logit_bias: FORCE_A }),
      });
    const results = await Promise.all([long(), long(), long(), long()]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("queue_full");
  });

  it("stops generating when the client disconnects (the sequence is free at once)", async () => {
    const ac = new AbortController();
    const s = await client.chat.completions.create(
      { model: "testbed", messages: listing("Parse YAML files."), max_tokens: 900, logit_bias: FORCE_A, stream: true } as never,
      { signal: ac.signal },
    );
    let n = 0;
    await (async () => {
      for await (const _ of s as unknown as AsyncIterable<unknown>) if (++n === 2) ac.abort();
    })().catch(() => undefined);
    // 900 tokens take ≥ 2 s here; if generation went on, the sequence (1) and queue (1) would
    // still hold this request and these two would not both be served.
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const quick = () => client.chat.completions.create({ model: "testbed", messages: listing("Parse YAML files."), max_tokens: 4 });
    const [a, b] = await Promise.all([quick(), quick()]);
    expect(a.choices[0]!.message.content).toBeTruthy();
    expect(b.choices[0]!.message.content).toBeTruthy();
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

const adapterDir = path.join(repoRoot, "models/adapters");
const adapters = existsSync(adapterDir) ? readdirSync(adapterDir).filter((f) => f.endsWith(".gguf")) : [];

describe("local provider with a LoRA adapter", () => {
  it("loads the adapter and answers through it", async () => {
    // The repo ships the testbed's adapters (models/adapters/); a missing one is a failure, not a skip.
    expect(adapters.length).toBeGreaterThan(0);
    const file = path.join(adapterDir, adapters[0]!);
    const lgw = await startGateway({ config: { models: [testbedModel({ adapters: [{ name: "lora", path: file }] })] } });
    try {
      const provider = lgw.services.providers.get("testbed")!;
      expect(provider.ready()).toBe(true);
      const r = await provider.generate(
        { ...listingCall("Parse YAML files."), temperature: 0, maxOutputTokens: 32, adapter: "lora" },
        { signal: new AbortController().signal, requestId: "t" },
      );
      expect(textOf(r.content)).toBeTruthy();
      await expect(
        provider.generate({ ...listingCall("x"), maxOutputTokens: 4, adapter: "missing" }, { signal: new AbortController().signal, requestId: "t" }),
      ).rejects.toMatchObject({ status: 400, code: "adapter_not_found" });
    } finally {
      await lgw.close();
    }
  });
});
