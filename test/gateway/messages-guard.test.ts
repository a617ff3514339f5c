/**
 * The guard on the Messages API, read by the real `@anthropic-ai/sdk`: a `tool_use`
 * whose `input.command` installs a made-up package is never delivered under `strict`
 * (the client gets a text block with the notice and `stop_reason: end_turn`, JSON and
 * stream), is delivered with the report under `default` (annotate), and under `repair`
 * the Anthropic upstream is asked again with a `tool_result` (`is_error: true`) saying
 * the command was not run. The package checker is the real one on the offline snapshot.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ModelAnswer, type ModelTurn, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { makeChecker } from "../mitigation/checker.js";

const MADE_UP = "reqeusts-oauthlib2";
const BAD = `pip install ${MADE_UP}`;
const GOOD = "pip install requests-oauthlib";
const BASH = { name: "Bash", description: "Runs a shell command", input_schema: { type: "object" as const, properties: { command: { type: "string" } }, required: ["command"] } };

let up: ScriptedUpstream;
let gw: TestGateway;
let client: Anthropic;
const script = new Map<string, (turn: ModelTurn) => ModelAnswer>();

beforeAll(async () => {
  up = await startScriptedUpstream();
  up.setModel((turn) => {
    const play = script.get(turn.lastUserText);
    if (!play) throw new Error(`no script for '${turn.lastUserText}'`);
    return play(turn);
  });
  gw = await startGateway({
    config: {
      models: [
        upstreamModel(up, { name: "via-chat" }),
        { name: "via-anthropic", provider: "anthropic", model: "claude-upstream", baseURL: up.url, apiKey: "k", maxRetries: 0, timeoutMs: 5_000 },
      ],
    },
    services: { packageChecker: await makeChecker() },
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: "x", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

function ask(model: string, task: string) {
  return { model, max_tokens: 300, messages: [{ role: "user" as const, content: task }], tools: [BASH] };
}

describe.each(["via-anthropic", "via-chat"])("tool calls on /v1/messages (%s)", (model) => {
  it("strict, JSON: the made-up install is never delivered; a text block explains, stop_reason end_turn", async () => {
    script.set("install deps", () => ({ text: "Installing.", toolCalls: [{ id: "toolu_bad", name: "Bash", input: { command: BAD } }] }));
    const { data, response } = await client.messages.create(ask(`${model}:strict`, "install deps")).withResponse();
    expect(data.content.filter((b) => b.type === "tool_use")).toEqual([]);
    expect(data.stop_reason).toBe("end_turn");
    const text = data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    expect(text).toContain("Installing.");
    expect(text).toContain(`${MADE_UP} (pypi): does not exist`);
    expect(response.headers.get("x-slopguard-action")).toBe("blocked");
    expect((data as any).slopguard.withheld).toEqual([expect.objectContaining({ kind: "tool-call", reason: "not_found", tool: "Bash", toolCallId: "toolu_bad" })]);
  });

  it("strict, stream: the input_json deltas are held, then replaced by the notice", async () => {
    script.set("install deps", () => ({ toolCalls: [{ id: "toolu_bad2", name: "Bash", input: { command: BAD } }], argChunkSize: 3 }));
    const stream = client.messages.stream(ask(`${model}:strict`, "install deps"));
    const deltas: string[] = [];
    stream.on("streamEvent", (e) => {
      if (e.type === "content_block_delta" && e.delta.type === "input_json_delta") deltas.push(e.delta.partial_json);
    });
    const final = await stream.finalMessage();
    expect(deltas).toEqual([]);
    expect(final.content.map((b) => b.type)).toEqual(["text"]);
    expect(final.stop_reason).toBe("end_turn");
    expect((final.content[0] as Anthropic.TextBlock).text).toContain(MADE_UP);
  });

  it("strict delivers a real install unchanged", async () => {
    script.set("install good", () => ({ toolCalls: [{ id: "toolu_ok", name: "Bash", input: { command: GOOD } }] }));
    const data = await client.messages.create(ask(`${model}:strict`, "install good"));
    expect(data.content).toEqual([{ type: "tool_use", id: "toolu_ok", name: "Bash", input: { command: GOOD } }]);
    expect(data.stop_reason).toBe("tool_use");
  });

  it("default (annotate): the call is delivered, and the report names the made-up package (JSON and stream)", async () => {
    script.set("install deps", () => ({ toolCalls: [{ id: "toolu_ann", name: "Bash", input: { command: BAD } }] }));
    const data = await client.messages.create(ask(model, "install deps"));
    expect(data.content).toEqual([{ type: "tool_use", id: "toolu_ann", name: "Bash", input: { command: BAD } }]);
    expect((data as any).slopguard.verdict).toBe("hallucination");
    const events: any[] = [];
    for await (const e of await client.messages.create({ ...ask(model, "install deps"), stream: true })) events.push(e);
    expect(events.find((e) => e.type === "content_block_start").content_block).toMatchObject({ type: "tool_use", name: "Bash" });
    const report = events.find((e) => e.type === "message_delta").slopguard;
    expect(report.packages).toEqual([expect.objectContaining({ name: MADE_UP, verdict: "not_found", location: { toolCallId: "toolu_ann", tool: "Bash", path: "command" } })]);
  });
});

describe("repair on an Anthropic upstream", () => {
  it("asks again with a tool_result (is_error: true) saying the command was not run, and delivers the corrected call", async () => {
    script.set("fix deps", (turn) =>
      turn.toolResults.length === 0
        ? { toolCalls: [{ id: "toolu_r1", name: "Bash", input: { command: BAD } }] }
        : { toolCalls: [{ id: "toolu_r2", name: "Bash", input: { command: GOOD } }] },
    );
    const before = up.requestsOf("messages").length;
    const data = await client.messages.create(ask("via-anthropic:repair", "fix deps"));
    expect(data.content).toEqual([{ type: "tool_use", id: "toolu_r2", name: "Bash", input: { command: GOOD } }]);
    const second = up.requestsOf("messages")[before + 1]!.body;
    expect(second.messages.slice(-2)).toEqual([
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_r1", name: "Bash", input: { command: BAD } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r1", content: expect.stringContaining("was not run"), is_error: true }] },
    ]);
    expect(second.messages.at(-1).content[0].content).toContain(MADE_UP);
  });
});

describe("text on /v1/messages", () => {
  it("strict withholds a code block that installs a made-up package, JSON and stream", async () => {
    const answer = `Run this:\n\n\`\`\`bash\npip install ${MADE_UP}\n\`\`\`\n`;
    script.set("how do I install it", () => ({ text: answer }));
    const data = await client.messages.create(ask("via-anthropic:strict", "how do I install it"));
    const text = (data.content[0] as Anthropic.TextBlock).text;
    expect(text).toContain("Run this:");
    expect(text).not.toContain(`pip install ${MADE_UP}`);
    expect(text).toContain(MADE_UP);
    const streamed = await client.messages.stream(ask("via-chat:strict", "how do I install it")).finalMessage();
    expect((streamed.content[0] as Anthropic.TextBlock).text).toBe(text);
  });
});
