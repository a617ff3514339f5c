/**
 * The official Python SDKs against the gateway: `anthropic` on `/v1/messages` (JSON,
 * `messages.stream()` and `create(stream=True)`) over a chat upstream and an Anthropic
 * upstream, and `openai` on `/v1/completions` (JSON and stream, with `suffix`). The
 * packages come from this machine's pip index into a cached venv (python-venv.ts); the
 * tests skip, saying why, only when they cannot be installed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pythonWithPackages, type PythonVenv } from "../helpers/python-venv.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;
let py: PythonVenv;

const run = promisify(execFile);

/** Runs a script with `env`; its last stdout line is a JSON object. */
async function runPython(python: string, script: string, env: Record<string, string>): Promise<any> {
  const { stdout } = await run(python, ["-c", script], { env: { ...process.env, ...env }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
}

beforeAll(async () => {
  py = await pythonWithPackages("anthropic-openai", ["anthropic", "openai"]);
  if ("skip" in py) console.log(`[python] skipping the Python anthropic/openai tests: ${py.skip}`);
  else console.log(`[python] anthropic ${py.versions.anthropic}, openai ${py.versions.openai}`);
  up = await startScriptedUpstream();
  gw = await startGateway({
    config: {
      models: [
        upstreamModel(up, { name: "via-chat" }),
        { name: "via-anthropic", provider: "anthropic", model: "claude-upstream", baseURL: up.url, apiKey: "k", maxRetries: 0, timeoutMs: 5_000 },
      ],
    },
  });
}, 900_000);
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const MESSAGES = `
import anthropic, json, os
c = anthropic.Anthropic(base_url=os.environ["GW"], api_key="x", max_retries=0)
model = os.environ["MODEL"]
tools = [{"name": "Bash", "description": "run", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}]
ask = dict(model=model, max_tokens=100, messages=[{"role": "user", "content": "list files"}], tools=tools)
m = c.messages.create(**ask)
with c.messages.stream(**ask) as s:
    streamed_text = "".join(s.text_stream)
    final = s.get_final_message()
events = [e.type for e in c.messages.create(**ask, stream=True)]
print(json.dumps({"json": m.model_dump(), "streamed_text": streamed_text, "final": final.model_dump(), "events": events}))
`;

const COMPLETIONS = `
import openai, json, os
c = openai.OpenAI(base_url=os.environ["GW"] + "/v1", api_key="x", max_retries=0)
ask = dict(model="via-chat", prompt="import os\\n", suffix="\\nprint(sys.argv)\\n", max_tokens=16)
r = c.completions.create(**ask)
text = "".join(ch.choices[0].text for ch in c.completions.create(**ask, stream=True) if ch.choices)
print(json.dumps({"json": r.model_dump(), "streamed": text}))
`;

describe.each(["via-chat", "via-anthropic"])("the anthropic Python SDK (%s)", (model) => {
  it("messages.create, messages.stream() and create(stream=True)", async (ctx) => {
    if ("skip" in py) return ctx.skip();
    up.setModel(() => ({ text: "Looking.", toolCalls: [{ id: "toolu_py", name: "Bash", input: { command: "ls" } }] }));
    const out = await runPython(py.python, MESSAGES, { GW: gw.url, MODEL: model });
    const content = [{ type: "text", text: "Looking.", citations: null }, { type: "tool_use", id: "toolu_py", name: "Bash", input: { command: "ls" }, caller: null }];
    expect(out.json.content).toEqual(content.map((c) => expect.objectContaining(c)));
    expect(out.json.stop_reason).toBe("tool_use");
    expect(out.json.slopguard.profile).toBe("default");
    expect(out.streamed_text).toBe("Looking.");
    expect(out.final.content).toEqual(content.map((c) => expect.objectContaining(c)));
    expect(out.final.stop_reason).toBe("tool_use");
    expect(out.events[0]).toBe("message_start");
    expect(out.events.at(-1)).toBe("message_stop");
  }, 60_000);
});

describe("the openai Python SDK", () => {
  it("completions.create with suffix, JSON and stream", async (ctx) => {
    if ("skip" in py) return ctx.skip();
    up.setModel(() => ({ textChunks: ["import ", "sys"] }));
    const out = await runPython(py.python, COMPLETIONS, { GW: gw.url });
    expect(out.json.object).toBe("text_completion");
    expect(out.json.choices[0]).toMatchObject({ text: "import sys", finish_reason: "stop" });
    expect(out.json.slopguard.profile).toBe("default");
    expect(out.streamed).toBe("import sys");
  }, 60_000);
});
