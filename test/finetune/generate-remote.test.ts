/**
 * `finetune generate --base-url`: training answers come from an OpenAI-compatible endpoint (the
 * gateway in the testbed experiment), greedy, with the profile header that keeps them unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRemoteGenerator } from "../../finetune/generate-remote.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
beforeAll(async () => {
  up = await startScriptedUpstream();
});
afterAll(() => up.close());

describe("remote generator", () => {
  it("asks the endpoint greedily with the prompt's system and user messages", async () => {
    up.setHandler((body: any) => ({ kind: "json", content: `answer to: ${body.messages[1].content}` }));
    const gen = openRemoteGenerator({ baseURL: up.baseURL, model: "testbed", headers: { "X-Slopguard-Profile": "default" } });
    const answers = await gen.answer([{ system: "S", user: "Which packages parse YAML?" }, { system: "S", user: "second" }], { maxTokens: 64 });
    expect(answers).toEqual(["answer to: Which packages parse YAML?", "answer to: second"]);
    const reqs = up.chatRequests().slice(-2);
    expect(reqs[0]!.body).toMatchObject({ model: "testbed", temperature: 0, max_tokens: 64, messages: [{ role: "system", content: "S" }, { role: "user", content: "Which packages parse YAML?" }] });
    expect(reqs[0]!.headers["x-slopguard-profile"]).toBe("default");
  });
});
