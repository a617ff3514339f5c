/**
 * Tool calls through the real gateway, read by the real openai client with tools:
 * annotate, block (strict) and repair, JSON and stream, with a scripted model that
 * answers in tool calls whose arguments arrive in many small deltas.
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelAnswer, ModelTurn } from "../helpers/scripted-upstream-turn.js";
import { startHarness, type Harness } from "./setup.js";

const SHELL_TOOL: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "run_shell_command",
    description: "Runs a shell command",
    parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
  },
};
const WRITE_TOOL: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "write_file",
    parameters: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } }, required: ["file_path", "content"] },
  },
};

const BAD_INSTALL = "pip install reqeusts-oauthlib2 && npm install lodahs-utils";
const GOOD_INSTALL = "pip install requests-oauthlib && npm install lodash";
const BAD_REQUIREMENTS = "flask-restfull==0.3.10\nrequests>=2.31\n";

let h: Harness;
/** What the scripted model answers next, by the request's last user text. */
const script = new Map<string, (turn: ModelTurn) => ModelAnswer>();

beforeAll(async () => {
  h = await startHarness({ mitigation: { profiles: { "repair-2": [{ module: "verify", policy: "repair" }, { module: "self-refine", maxRounds: 2 }] } } });
  h.up.setModel((turn) => {
    const play = script.get(turn.lastUserText);
    if (!play) throw new Error(`no script for '${turn.lastUserText}'`);
    return play(turn);
  });
});
afterAll(() => h.close());

function ask(task: string, profile?: string, tools = [SHELL_TOOL, WRITE_TOOL]) {
  return { model: profile ? `up:${profile}` : "up", messages: [{ role: "user" as const, content: task }], tools };
}

async function streamed(params: ReturnType<typeof ask>) {
  const stream = await h.client.chat.completions.create({ ...params, stream: true });
  let content = "";
  let finish: string | null = null;
  let report: any;
  const calls = new Map<number, { id?: string; name: string; args: string }>();
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    content += c?.delta?.content ?? "";
    finish = c?.finish_reason ?? finish;
    for (const d of c?.delta?.tool_calls ?? []) {
      const call = calls.get(d.index) ?? { name: "", args: "" };
      if (d.id) call.id = d.id;
      call.name += d.function?.name ?? "";
      call.args += d.function?.arguments ?? "";
      calls.set(d.index, call);
    }
    report = (chunk as any).slopguard ?? report;
  }
  return { content, finish, report, calls: [...calls.values()] };
}

describe("tool calls under annotate", () => {
  it("delivers the call unchanged and reports each package with where it was found", async () => {
    script.set("install deps", () => ({ toolCalls: [{ id: "call_1", name: "run_shell_command", input: { command: BAD_INSTALL } }] }));
    const { data, response } = await h.client.chat.completions.create(ask("install deps")).withResponse();
    const call = data.choices[0]!.message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(data.choices[0]!.finish_reason).toBe("tool_calls");
    expect(JSON.parse(call.function.arguments)).toEqual({ command: BAD_INSTALL });
    expect(response.headers.get("x-slopguard-verdict")).toBe("hallucination");
    const sg = (data as any).slopguard;
    expect(sg.action).toBe("annotated");
    const bad = sg.packages.filter((p: any) => p.verdict !== "exists");
    expect(bad.map((p: any) => `${p.ecosystem}:${p.name}`).sort()).toEqual(["npm:lodahs-utils", "pypi:reqeusts-oauthlib2"]);
    expect(bad[0].location).toEqual({ toolCallId: "call_1", tool: "run_shell_command", path: "command" });
  });

  it("streams the call and the report", async () => {
    script.set("install deps", () => ({ toolCalls: [{ name: "run_shell_command", input: { command: BAD_INSTALL } }], argChunkSize: 3 }));
    const s = await streamed({ ...ask("install deps") });
    expect(s.calls).toHaveLength(1);
    expect(JSON.parse(s.calls[0]!.args)).toEqual({ command: BAD_INSTALL });
    expect(s.finish).toBe("tool_calls");
    expect(s.report.verdict).toBe("hallucination");
  });
});

describe("tool calls under block (strict)", () => {
  it("never delivers a call that installs a made-up package: the agent gets an explanation and stops", async () => {
    script.set("install deps", () => ({ toolCalls: [{ id: "call_2", name: "run_shell_command", input: { command: BAD_INSTALL } }] }));
    const { data } = await h.client.chat.completions.create(ask("install deps", "strict")).withResponse();
    const choice = data.choices[0]!;
    expect(choice.message.tool_calls ?? []).toEqual([]);
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.content).toContain("reqeusts-oauthlib2 (pypi): does not exist");
    expect(choice.message.content).toContain("lodahs-utils (npm)");
    expect(choice.message.content).toContain(BAD_INSTALL);
    const sg = (data as any).slopguard;
    expect(sg.action).toBe("blocked");
    expect(sg.withheld).toEqual([{ kind: "tool-call", reason: "not_found", packages: expect.arrayContaining(["reqeusts-oauthlib2", "lodahs-utils"]), tool: "run_shell_command", toolCallId: "call_2" }]);
  });

  it("holds streamed argument deltas until the answer is complete, then withholds every call of a bad answer", async () => {
    script.set("set up", () => ({
      text: "I will install the dependencies.",
      toolCalls: [
        { name: "run_shell_command", input: { command: "pip install requests" } },
        { name: "write_file", input: { file_path: "requirements.txt", content: BAD_REQUIREMENTS } },
      ],
      argChunkSize: 2,
    }));
    const s = await streamed(ask("set up", "strict"));
    expect(s.calls).toEqual([]);
    expect(s.content.startsWith("I will install the dependencies.")).toBe(true);
    expect(s.content).toContain("flask-restfull (pypi): does not exist");
    expect(s.content).toContain("withheld with the rest of this answer");
    expect(s.finish).toBe("stop");
    expect(s.report.withheld.map((w: any) => w.reason)).toEqual(["with_answer", "not_found"]);
  });

  it("delivers benign calls unchanged, JSON and stream", async () => {
    script.set("good deps", () => ({ toolCalls: [{ id: "call_ok", name: "run_shell_command", input: { command: GOOD_INSTALL } }] }));
    const json = await h.client.chat.completions.create(ask("good deps", "strict"));
    const call = json.choices[0]!.message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(call).toMatchObject({ id: "call_ok", function: { name: "run_shell_command" } });
    expect(JSON.parse(call.function.arguments)).toEqual({ command: GOOD_INSTALL });
    expect(json.choices[0]!.finish_reason).toBe("tool_calls");
    const s = await streamed(ask("good deps", "strict"));
    expect(s.calls.map((c) => JSON.parse(c.args))).toEqual([{ command: GOOD_INSTALL }]);
    expect(s.finish).toBe("tool_calls");
    expect(s.report.action).toBe("annotated");
  });
});

describe("tool calls under repair", () => {
  it("tells the model the command was not run and why, and delivers the corrected call", async () => {
    script.set("fix deps", (turn) =>
      turn.toolResults.length === 0
        ? { toolCalls: [{ id: "call_bad", name: "run_shell_command", input: { command: "pip install reqeusts-oauthlib2" } }] }
        : { toolCalls: [{ id: "call_good", name: "run_shell_command", input: { command: "pip install requests-oauthlib" } }] },
    );
    const before = h.up.chatRequests().length;
    for (const stream of [false, true]) {
      const delivered = stream ? (await streamed(ask("fix deps", "repair"))).calls.map((c) => c.args) : (await h.client.chat.completions.create(ask("fix deps", "repair"))).choices[0]!.message.tool_calls!.map((c: any) => c.function.arguments);
      expect(delivered.map((a) => JSON.parse(a))).toEqual([{ command: "pip install requests-oauthlib" }]);
    }
    const second = h.up.chatRequests()[before + 1]!.body;
    const asked = second.messages.slice(-2);
    expect(asked[0]).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_bad", function: { name: "run_shell_command" } }] });
    expect(asked[1]).toMatchObject({ role: "tool", tool_call_id: "call_bad" });
    expect(asked[1].content).toContain("was not run");
    expect(asked[1].content).toContain("reqeusts-oauthlib2");
  });

  it("blocks the call when the model keeps making the name up past the round limit", async () => {
    script.set("stubborn", () => ({ toolCalls: [{ name: "run_shell_command", input: { command: "npm install lodahs-utils" } }] }));
    const data = await h.client.chat.completions.create(ask("stubborn", "repair-2"));
    expect(data.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(data.choices[0]!.finish_reason).toBe("stop");
    const sg = (data as any).slopguard;
    expect(sg.action).toBe("blocked");
    expect(sg.mitigations.find((m: any) => m.module === "self-refine").data).toMatchObject({ rounds: 2, stopped_by: "limit" });
  });
});
