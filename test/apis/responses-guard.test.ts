/**
 * The guard on the Responses API, JSON and stream, through a chat upstream and a
 * Responses upstream, read by openai-node: under `annotate` a `function_call` that
 * installs a made-up package is delivered with the report; under `strict` it never
 * is (the client gets a message item with the notice and the response completes);
 * `repair` sends the model a `function_call_output` (to a Responses upstream) or a
 * tool message (to a chat upstream) saying the command was not run, and delivers the
 * corrected call. The checker runs offline on the snapshot: the made-up PyPI name is
 * settled as not found; the npm snapshot is partial, so the made-up npm name is `unknown`, which
 * `strict` withholds as well.
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelAnswer, ModelTurn } from "../helpers/scripted-upstream.js";
import { MODELS, startResponsesHarness, type ModelName, type ResponsesHarness } from "./responses-setup.js";

const BAD_INSTALL = "pip install reqeusts-oauthlib2 && npm install lodahs-utils";
const GOOD_INSTALL = "pip install requests-oauthlib && npm install lodash";

const SHELL: OpenAI.Responses.FunctionTool = {
  type: "function",
  name: "exec_command",
  parameters: { type: "object", properties: { cmd: { type: "string" } }, required: ["cmd"] },
  strict: false,
};

let h: ResponsesHarness;
const script = new Map<string, (turn: ModelTurn) => ModelAnswer>();

beforeAll(async () => {
  h = await startResponsesHarness();
  h.up.setModel((turn) => {
    const play = script.get(turn.lastUserText);
    if (!play) throw new Error(`no script for '${turn.lastUserText}'`);
    return play(turn);
  });
});
afterAll(() => h?.close());

function ask(model: ModelName, task: string, profile?: string) {
  return { model: profile ? `${model}:${profile}` : model, input: [{ role: "user" as const, content: task }], tools: [SHELL] };
}

type Outcome = { response: OpenAI.Responses.Response; report: any };

async function run(params: ReturnType<typeof ask>, stream: boolean): Promise<Outcome> {
  const response = stream ? await h.client.responses.stream(params).finalResponse() : await h.client.responses.create(params);
  return { response, report: (response as any).slopguard };
}

const calls = (r: OpenAI.Responses.Response) => r.output.filter((i): i is OpenAI.Responses.ResponseFunctionToolCall => i.type === "function_call");

describe.each(MODELS)("%s", (model) => {
  describe.each([false, true])("stream: %s", (stream) => {
    it("annotate: the call is delivered unchanged, with the report naming both made-up packages", async () => {
      script.set("install deps", () => ({ toolCalls: [{ id: "call_1", name: "exec_command", input: { cmd: BAD_INSTALL } }], argChunkSize: 3 }));
      const { response, report } = await run(ask(model, "install deps"), stream);
      expect(calls(response).map((c) => [c.call_id, JSON.parse(c.arguments)])).toEqual([["call_1", { cmd: BAD_INSTALL }]]);
      expect(response.status).toBe("completed");
      expect(report).toMatchObject({ action: "annotated", verdict: "hallucination" });
      const bad = report.packages.filter((p: any) => p.verdict !== "exists").map((p: any) => p.name).sort();
      expect(bad).toEqual(["lodahs-utils", "reqeusts-oauthlib2"]);
    });

    it("strict: the call is never delivered; a message item explains why and the response completes", async () => {
      script.set("install deps", () => ({ toolCalls: [{ id: "call_2", name: "exec_command", input: { cmd: BAD_INSTALL } }], argChunkSize: 3 }));
      const { response, report } = await run(ask(model, "install deps", "strict"), stream);
      expect(calls(response)).toEqual([]);
      expect(response.status).toBe("completed");
      expect(response.output.map((i) => i.type)).toEqual(["message"]);
      expect(response.output_text).toContain("reqeusts-oauthlib2 (pypi): does not exist");
      // Names nobody could verify (npm misses offline) are withheld too under block.
      expect(response.output_text).toContain("lodahs-utils (npm)");
      expect(response.output_text).toContain(BAD_INSTALL.replace(/"/g, '\\"'));
      expect(report.action).toBe("blocked");
      expect(report.withheld).toEqual([expect.objectContaining({ kind: "tool-call", reason: "not_found", tool: "exec_command", toolCallId: "call_2" })]);
    });

    it("strict: a benign install is delivered unchanged", async () => {
      script.set("good deps", () => ({ toolCalls: [{ id: "call_ok", name: "exec_command", input: { cmd: GOOD_INSTALL } }] }));
      const { response, report } = await run(ask(model, "good deps", "strict"), stream);
      expect(calls(response).map((c) => JSON.parse(c.arguments))).toEqual([{ cmd: GOOD_INSTALL }]);
      expect(report.action).toBe("annotated");
    });

    it("repair: the model is told the command was not run, and the corrected call is delivered", async () => {
      script.set("fix deps", (turn) =>
        turn.toolResults.length === 0
          ? { toolCalls: [{ id: "call_bad", name: "exec_command", input: { cmd: "pip install reqeusts-oauthlib2" } }] }
          : { toolCalls: [{ id: "call_good", name: "exec_command", input: { cmd: "pip install requests-oauthlib" } }] },
      );
      const before = h.up.requests.length;
      const { response, report } = await run(ask(model, "fix deps", "repair"), stream);
      expect(calls(response).map((c) => [c.call_id, JSON.parse(c.arguments)])).toEqual([["call_good", { cmd: "pip install requests-oauthlib" }]]);
      expect(report.action).toBe("repaired");
      const second = h.up.requests[before + 1]!;
      if (model === "resp-up") {
        const [call, result] = second.body.input.slice(-2);
        expect(call).toMatchObject({ type: "function_call", call_id: "call_bad", name: "exec_command" });
        expect(result).toMatchObject({ type: "function_call_output", call_id: "call_bad" });
        expect(result.output).toContain("was not run");
        expect(result.output).toContain("reqeusts-oauthlib2");
      } else {
        const [call, result] = second.body.messages.slice(-2);
        expect(call).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_bad" }] });
        expect(result).toMatchObject({ role: "tool", tool_call_id: "call_bad" });
        expect(result.content).toContain("was not run");
      }
    });
  });
});
