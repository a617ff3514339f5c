/**
 * Anthropic's Messages API on the gateway, read by the real `@anthropic-ai/sdk`
 * (`messages.create` JSON, `messages.stream()`, `create({stream: true})`), with the
 * gateway's model being
 * - an `openai-compatible` chat upstream: the request and the answer are translated;
 * - an `anthropic` upstream: the request passes through natively (cache_control,
 *   thinking signatures, beta fields and the `anthropic-beta` header reach the
 *   scripted upstream unchanged), and its answer's blocks reach the client.
 * Both upstreams are the scripted upstream on loopback.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { buildGateway } from "../../src/server/bootstrap.js";
import { listen } from "../../src/server/http.js";
import { repoRoot, startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;
let client: Anthropic;

const BASH = { name: "Bash", description: "Runs a shell command", input_schema: { type: "object" as const, properties: { command: { type: "string" } }, required: ["command"] } };

beforeAll(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway({
    config: {
      models: [
        upstreamModel(up, { name: "via-chat" }),
        { name: "via-anthropic", provider: "anthropic", model: "claude-upstream", baseURL: up.url, apiKey: "sk-ant-upstream-secret-123", maxRetries: 0, timeoutMs: 5_000 },
        { name: "anthropic-idle", provider: "anthropic", model: "claude-upstream", baseURL: up.url, maxRetries: 0, timeoutMs: 5_000, streamIdleTimeoutMs: 300 },
      ],
      server: { apiKeys: ["sk-gateway-key"] },
    },
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: "sk-gateway-key", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const lastBody = () => up.requests.at(-1)!.body;

describe.each(["via-chat", "via-anthropic"])("the SDK against the gateway (%s)", (model) => {
  it("messages.create: text and a tool_use, stop_reason tool_use, the report as an extra field and headers", async () => {
    up.setModel(() => ({ text: "Let me look.", toolCalls: [{ id: "toolu_a1", name: "Bash", input: { command: "ls -la" } }] }));
    const { data, response } = await client.messages
      .create({ model, max_tokens: 200, system: "You are terse.", messages: [{ role: "user", content: "list files" }], tools: [BASH] })
      .withResponse();
    expect(data.type).toBe("message");
    expect(data.id).toMatch(/^msg_/);
    expect(data.model).toBe(model);
    expect(data.stop_reason).toBe("tool_use");
    expect(data.content).toEqual([
      { type: "text", text: "Let me look." },
      { type: "tool_use", id: "toolu_a1", name: "Bash", input: { command: "ls -la" } },
    ]);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect((data as any).slopguard).toMatchObject({ profile: "default", verdict: "none" });
    expect(response.headers.get("x-slopguard-profile")).toBe("default");
  });

  it("messages.stream(): events in Anthropic's order and the final message; the report does not disturb the helper", async () => {
    up.setModel(() => ({ text: "Checking the tree.", toolCalls: [{ id: "toolu_b2", name: "Bash", input: { command: "find . -name '*.py'" } }], argChunkSize: 3 }));
    const stream = client.messages.stream({ model, max_tokens: 200, messages: [{ role: "user", content: "find python files" }], tools: [BASH] });
    const types: string[] = [];
    const texts: string[] = [];
    stream.on("streamEvent", (e) => types.push(e.type));
    stream.on("text", (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([
      { type: "text", text: "Checking the tree." },
      { type: "tool_use", id: "toolu_b2", name: "Bash", input: { command: "find . -name '*.py'" } },
    ]);
    expect(final.stop_reason).toBe("tool_use");
    expect(texts.join("")).toBe("Checking the tree.");
    expect(types[0]).toBe("message_start");
    expect(types.slice(-2)).toEqual(["message_delta", "message_stop"]);
    // Blocks one after another: each starts after the previous one stopped.
    const blocks = types.filter((t) => t === "content_block_start" || t === "content_block_stop");
    expect(blocks).toEqual(["content_block_start", "content_block_stop", "content_block_start", "content_block_stop"]);
  });

  it("create({stream: true}): raw events; the report rides on message_delta; input_json_delta arrives in pieces", async () => {
    up.setModel(() => ({ toolCalls: [{ id: "toolu_c3", name: "Bash", input: { command: "pip install requests" } }], argChunkSize: 4 }));
    const stream = await client.messages.create({ model, max_tokens: 100, stream: true, messages: [{ role: "user", content: "install requests" }], tools: [BASH] });
    const events: any[] = [];
    for await (const e of stream) events.push(e);
    const json = events.filter((e) => e.type === "content_block_delta").map((e) => e.delta.partial_json).join("");
    expect(events.filter((e) => e.type === "content_block_delta").length).toBeGreaterThan(1);
    expect(JSON.parse(json)).toEqual({ command: "pip install requests" });
    const delta = events.find((e) => e.type === "message_delta");
    expect(delta.delta.stop_reason).toBe("tool_use");
    expect(delta.slopguard).toMatchObject({ profile: "default", policy: "annotate" });
    // Every event is one the SDK's own types name: nothing extra reaches a `for await` loop.
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]));
  });

  it("a tool_result turn reaches the upstream as a tool result (is_error kept) and the answer comes back", async () => {
    up.setModel((turn) => ({ text: `saw ${turn.toolResults.map((r) => r.output).join(",")}` }));
    const data = await client.messages.create({
      model,
      max_tokens: 100,
      messages: [
        { role: "user", content: "run it" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_d4", name: "Bash", input: { command: "false" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_d4", content: [{ type: "text", text: "exit 1" }], is_error: true }, { type: "text", text: "why?" }] },
      ],
      tools: [BASH],
    });
    expect(data.content).toEqual([{ type: "text", text: "saw exit 1" }]);
    expect(data.stop_reason).toBe("end_turn");
    const body = lastBody();
    if (model === "via-chat") {
      expect(body.messages.slice(-3)).toMatchObject([
        { role: "assistant", tool_calls: [{ id: "toolu_d4", function: { name: "Bash", arguments: '{"command":"false"}' } }] },
        { role: "tool", tool_call_id: "toolu_d4", content: "exit 1" },
        { role: "user", content: "why?" },
      ]);
    } else {
      expect(body.messages.at(-1)).toEqual({
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_d4", content: [{ type: "text", text: "exit 1" }], is_error: true }, { type: "text", text: "why?" }],
      });
    }
  });

  it("count_tokens answers a count (exact from an Anthropic upstream, an estimate otherwise)", async () => {
    const res = await client.messages.countTokens({ model, messages: [{ role: "user", content: "How many tokens is this sentence?" }] }).withResponse();
    expect(res.data.input_tokens).toBeGreaterThan(0);
    expect(res.response.headers.get("x-slopguard-token-count")).toBe(model === "via-anthropic" ? "exact" : "estimate");
  });
});

describe("metrics", () => {
  it("label Messages requests with their route and the anthropic provider", async () => {
    up.setModel(() => ({ text: "ok" }));
    await client.messages.create({ model: "via-anthropic", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    await client.messages.countTokens({ model: "via-chat", messages: [{ role: "user", content: "x" }] });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/slopguard_requests_total\{model="via-anthropic",route="\/v1\/messages",status="200"\} [1-9]/);
    expect(text).toMatch(/slopguard_requests_total\{model="via-chat",route="\/v1\/messages\/count_tokens",status="200"\} [1-9]/);
    expect(text).toMatch(/slopguard_upstream_latency_seconds_count\{model="via-anthropic",provider="anthropic"\} [1-9]/);
  });
});

describe("native pass-through to an Anthropic upstream", () => {
  /** What Claude Code 2.1.332 sends (recorded, texts shortened): system blocks with cache_control, a system turn inside `messages`, beta fields. */
  const claudeCodeRequest = {
    model: "via-anthropic",
    max_tokens: 32000,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332.fb8; cc_entrypoint=sdk-cli;" },
      { type: "text", text: "You are a Claude agent, built on Anthropic's Claude Agent SDK.", cache_control: { type: "ephemeral" } },
    ],
    messages: [
      { role: "user", content: [{ type: "text", text: "<system-reminder>\nAttribution…\n</system-reminder>" }] },
      { role: "system", content: "# Environment\nYou have been invoked in the following environment…" },
      { role: "user", content: [{ type: "text", text: "Install requests.", cache_control: { type: "ephemeral" } }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "The user wants requests.", signature: "sig-abc123==" },
          { type: "redacted_thinking", data: "EncryptedBlob==" },
          { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "pip install requests", description: "Install" } },
        ],
      },
      { role: "user", content: [{ tool_use_id: "toolu_1", type: "tool_result", content: "Successfully installed requests", is_error: false, cache_control: { type: "ephemeral" } }] },
    ],
    tools: [
      { ...BASH, cache_control: { type: "ephemeral" } },
      { name: "DeferredToolPlaceholder", description: "x", input_schema: { type: "object", properties: {} }, defer_loading: true },
      { type: "web_search_20250305", name: "web_search", max_uses: 2 },
    ],
    metadata: { user_id: '{"device_id":"d1","session_id":"s1"}' },
    thinking: { type: "adaptive", display: "omitted" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "high" },
    stream: false,
  };
  const BETA = "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27";

  it("sends Claude Code's request to the upstream unchanged, with its anthropic-beta header (JSON and stream)", async () => {
    up.setModel(() => ({ text: "Installed." }));
    for (const stream of [false, true]) {
      const res = await fetch(`${gw.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "sk-gateway-key", "anthropic-version": "2023-06-01", "anthropic-beta": BETA },
        body: JSON.stringify({ ...claudeCodeRequest, stream }),
      });
      expect(res.status).toBe(200);
      await res.text();
      const got = up.requestsOf("messages").at(-1)!;
      expect(got.body).toEqual({ ...claudeCodeRequest, model: "claude-upstream", stream });
      expect(got.headers["anthropic-beta"]).toBe(BETA);
      expect(got.headers["anthropic-version"]).toBe("2023-06-01");
      // The upstream gets the gateway's own key (this SDK version sends it as a bearer token), never the client's.
      expect(got.headers.authorization ?? got.headers["x-api-key"]).toMatch(/sk-ant-upstream-secret-123$/);
    }
  });

  it("an upstream answer's thinking (with signature), redacted thinking and unknown fields reach the client, JSON", async () => {
    up.enqueue({
      kind: "json",
      body: {
        id: "msg_up1", type: "message", role: "assistant", model: "claude-upstream",
        content: [
          { type: "thinking", thinking: "Think first.", signature: "sig-xyz==" },
          { type: "redacted_thinking", data: "Opaque==" },
          { type: "text", text: "Done.", citations: null },
        ],
        stop_reason: "end_turn", stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 2, cache_read_input_tokens: 30, service_tier: "standard" },
        container: null,
      },
    });
    const data = await client.messages.create({ model: "via-anthropic", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    expect(data.content).toEqual([
      { type: "thinking", thinking: "Think first.", signature: "sig-xyz==" },
      { type: "redacted_thinking", data: "Opaque==" },
      { type: "text", text: "Done.", citations: null },
    ]);
    expect(data.usage).toEqual({ input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 2, cache_read_input_tokens: 30, service_tier: "standard" });
    expect((data as any).container).toBeNull();
  });

  it("streamed thinking keeps its signature (signature_delta) and a redacted block arrives whole", async () => {
    // A hand-written upstream stream with thinking, as Anthropic sends it.
    const events = [
      { type: "message_start", message: { id: "msg_up2", type: "message", role: "assistant", model: "claude-upstream", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 7, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "", signature: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Hmm, " } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "ok." } },
      { type: "content_block_delta", index: 0, delta: { type: "signature_delta", signature: "sig-stream==" } },
      { type: "content_block_stop", index: 0 },
      { type: "content_block_start", index: 1, content_block: { type: "redacted_thinking", data: "Blob==" } },
      { type: "content_block_stop", index: 1 },
      { type: "content_block_start", index: 2, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Answer." } },
      { type: "content_block_stop", index: 2 },
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 12 } },
      { type: "message_stop" },
    ];
    const raw = await startRawUpstream(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(""));
    const gw2 = await startGateway({ config: { models: [{ name: "raw", provider: "anthropic", model: "m", baseURL: raw.url, apiKey: "k", maxRetries: 0 }] } });
    try {
      const c = new Anthropic({ baseURL: gw2.url, apiKey: "x", maxRetries: 0 });
      const final = await c.messages.stream({ model: "raw", max_tokens: 100, messages: [{ role: "user", content: "hi" }] }).finalMessage();
      expect(final.content).toEqual([
        { type: "thinking", thinking: "Hmm, ok.", signature: "sig-stream==" },
        { type: "redacted_thinking", data: "Blob==" },
        { type: "text", text: "Answer." },
      ]);
      expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 12 });
    } finally {
      await gw2.close();
      await raw.close();
    }
  });
});

describe("errors in Anthropic's shape", () => {
  it("a wrong or missing key is 401 authentication_error; x-api-key and Bearer both work", async () => {
    const bad = new Anthropic({ baseURL: gw.url, apiKey: "sk-wrong", maxRetries: 0 });
    const err = await bad.messages.create({ model: "via-chat", max_tokens: 10, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(err.error).toEqual({ type: "error", error: { type: "authentication_error", message: "Incorrect API key provided." } });
    up.setModel(() => ({ text: "ok" }));
    // This SDK version sends its key as a bearer token; Claude Code and older SDKs send x-api-key.
    expect((await client.messages.create({ model: "via-chat", max_tokens: 10, messages: [{ role: "user", content: "x" }] })).content).toEqual([{ type: "text", text: "ok" }]);
    const body = JSON.stringify({ model: "via-chat", max_tokens: 10, messages: [{ role: "user", content: "x" }] });
    const withKey = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-gateway-key" }, body });
    expect(withKey.status).toBe(200);
    const wrongKey = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-nope" }, body });
    expect(wrongKey.status).toBe(401);
    expect(((await wrongKey.json()) as any).error.type).toBe("authentication_error");
    const none = await fetch(`${gw.url}/v1/messages`, { method: "POST", body });
    expect(((await none.json()) as any).error.message).toContain("x-api-key");
  });

  it("a request without max_tokens is 400 invalid_request_error naming the field; an unknown model is 404 not_found_error", async () => {
    const res = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-gateway-key", "content-type": "application/json" }, body: JSON.stringify({ model: "via-chat", messages: [{ role: "user", content: "x" }] }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("max_tokens");
    const missing = await client.messages.create({ model: "nope", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing.error.error.type).toBe("not_found_error");
  });

  it("upstream 529 overloaded → 503 overloaded_error; upstream 401 → 502 (the gateway's credentials, never echoed)", async () => {
    up.enqueue({ kind: "error", status: 529, message: "Overloaded" });
    const over = await client.messages.create({ model: "via-anthropic", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(over.status).toBe(503);
    expect(over.error.error).toMatchObject({ type: "overloaded_error" });
    up.enqueue({ kind: "error", status: 401, message: "invalid x-api-key sk-ant-upstream-secret-123" });
    const auth = await client.messages.create({ model: "via-anthropic", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(auth.status).toBe(502);
    expect(JSON.stringify(auth.error)).not.toContain("sk-ant-upstream-secret");
  });

  it("upstream 429 keeps its retry-after", async () => {
    up.enqueue({ kind: "json", status: 429, body: { type: "error", error: { type: "rate_limit_error", message: "slow down" } }, headers: { "retry-after": "7" } });
    const res = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-gateway-key" }, body: JSON.stringify({ model: "via-anthropic", max_tokens: 5, messages: [{ role: "user", content: "x" }] }) });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(((await res.json()) as any).error.type).toBe("rate_limit_error");
  });

  it("a malformed upstream message is 502 upstream_malformed", async () => {
    up.enqueue({ kind: "json", body: { id: "msg_x", type: "message", role: "assistant", content: "not blocks" } });
    const err = await client.messages.create({ model: "via-anthropic", max_tokens: 5, messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.error.error.message).toContain("malformed message");
  });

  it("an upstream stream cut before message_stop ends in an error event, never message_stop; the SDK raises it", async () => {
    up.enqueue({ kind: "reset", chunks: ["Partial", " answer"] });
    const stream = client.messages.stream({ model: "via-anthropic", max_tokens: 50, messages: [{ role: "user", content: "x" }] });
    const err = await stream.finalMessage().catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err.message)).toMatch(/message_stop|truncated|terminated|upstream/i);
    up.enqueue({ kind: "reset", chunks: ["Partial"] });
    const cut = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-gateway-key" }, body: JSON.stringify({ model: "via-anthropic", max_tokens: 5, stream: true, messages: [{ role: "user", content: "x" }] }) });
    const text = await cut.text();
    expect(text).toContain("event: error");
    expect(text).not.toContain("message_stop");
  });
});

describe("an Anthropic upstream that goes silent mid-stream", () => {
  it("is cut off after streamIdleTimeoutMs: an error event saying so, never message_stop, and the upstream connection closed", async () => {
    up.enqueue({ kind: "hang", chunks: ["Partial"] });
    const started = Date.now();
    const res = await fetch(`${gw.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-gateway-key" }, body: JSON.stringify({ model: "anthropic-idle", max_tokens: 5, stream: true, messages: [{ role: "user", content: "x" }] }) });
    const text = await res.text();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(text).toContain("event: error");
    expect(text).toContain("Upstream stopped sending mid-stream: nothing for 300 ms");
    // Anthropic's own type for a 504, so its SDKs and Claude Code treat it as a timeout.
    expect(text).toMatch(/"error":\{"type":"timeout_error"/);
    expect(text).not.toContain("message_stop");
    // The hung upstream response saw its client (the gateway) go away.
    expect(await up.waitForClientClose(up.requests.length - 1, 2_000)).toBeGreaterThanOrEqual(0);
  });
});

describe("shutdown", () => {
  it("a Messages stream still running at the shutdown deadline ends in Anthropic's error event, never message_stop", async () => {
    // The real wiring of `slopguard serve`: the shutdown deadline is buildGateway's abortInFlight().
    const config = parseConfig({ models: [upstreamModel(up, { name: "via-chat", timeoutMs: 30_000 })], rag: { enabled: false }, server: { port: 0, logLevel: "silent" } }, { baseDir: repoRoot, source: "test" });
    const gateway = await buildGateway(config, { ephemeral: true });
    const server = await listen(gateway.app, { host: "127.0.0.1", port: 0 });
    try {
      up.enqueue({ kind: "hang", chunks: ["Partial", " answer"] });
      const res = await fetch(`${server.url}/v1/messages`, { method: "POST", body: JSON.stringify({ model: "via-chat", max_tokens: 50, stream: true, messages: [{ role: "user", content: "x" }] }) });
      const reader = res.body!.getReader();
      let text = "";
      while (!text.includes("Partial")) text += new TextDecoder().decode((await reader.read()).value);
      gateway.abortInFlight();
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
      expect(text).toContain("event: error");
      expect(text).toMatch(/"type":"error","error":\{"type":"overloaded_error","message":"The gateway is shutting down/);
      expect(text).not.toContain("message_stop");
    } finally {
      await server.close(0);
      await gateway.close();
    }
  });
});

/** A loopback upstream that answers every POST with one fixed SSE body (for event sequences the scripted upstream does not write). */
async function startRawUpstream(sse: string) {
  const http = await import("node:http");
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(sse);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
