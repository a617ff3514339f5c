/**
 * The Python `openai` package (from the machine's pip index, installed into a cached
 * venv at test time) against the gateway's `/v1/responses`, in front of a chat upstream
 * and a Responses upstream: `responses.create` (text and a function call), the
 * `responses.stream()` helper, `create(stream=True)`, and a stream cut mid-answer,
 * which the client must raise. The report is an extra field pydantic keeps.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pythonWithPackages, type PythonVenv } from "../helpers/python-venv.js";
import { MODELS, startResponsesHarness, type ResponsesHarness } from "./responses-setup.js";

const run = promisify(execFile);

const SCRIPT = String.raw`
import json, os, sys
import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key="x", max_retries=0)
model = os.environ["MODEL"]
out = {}

r = client.responses.create(model=model, instructions="Be brief.", input="Which package parses YAML?")
out["json"] = {"id": r.id, "text": r.output_text, "status": r.status, "input_tokens": r.usage.input_tokens, "report": (r.model_extra or {}).get("slopguard")}

tools = [{"type": "function", "name": "exec_command", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}, "strict": False}]
r = client.responses.create(model=model, input="install it", tools=tools)
call = r.output[0]
out["call"] = {"type": call.type, "name": call.name, "call_id": call.call_id, "arguments": json.loads(call.arguments)}

deltas = []
with client.responses.stream(model=model, input="Which package parses YAML?") as stream:
    for event in stream:
        if event.type == "response.output_text.delta":
            deltas.append(event.delta)
    final = stream.get_final_response()
out["stream"] = {"deltas": len(deltas), "text": "".join(deltas), "final": final.output_text, "status": final.status, "report": (final.model_extra or {}).get("slopguard")}

out["events"] = [e.type for e in client.responses.create(model=model, input="Which package parses YAML?", stream=True)]

try:
    for _ in client.responses.create(model=model, input="cut", stream=True):
        pass
    out["cut"] = "no error"
except openai.APIError as e:
    out["cut"] = type(e).__name__ + ": " + str(e)

print(json.dumps(out))
`;

let h: ResponsesHarness;
let venv: PythonVenv;

beforeAll(async () => {
  venv = await pythonWithPackages("openai", ["openai"]);
  if ("skip" in venv) console.log(`[python] skipping the Python openai tests: ${venv.skip}`);
  else console.log(`[python] openai ${venv.versions.openai}`);
  h = await startResponsesHarness();
}, 400_000);
afterAll(() => h?.close());

describe.each(MODELS)("Python openai against /v1/responses, %s", (model) => {
  it("create, a function call, the stream helper, create(stream=True), and a cut stream that raises", async (ctx) => {
    if ("skip" in venv) return ctx.skip();
    h.up.setModel((turn) =>
      turn.lastUserText === "install it" ? { toolCalls: [{ id: "call_py", name: "exec_command", input: { cmd: "pip install pyyaml" } }] } : { text: "Run `pip install pyyaml` to parse YAML." },
    );
    h.up.setHandler((body) => (JSON.stringify(body).includes('"cut"') ? { kind: "reset", chunks: ["partial ", "answer"] } : (undefined as never)));
    try {
      const { stdout } = await run(venv.python, ["-c", SCRIPT], { env: { ...process.env, BASE_URL: h.gw.baseURL, MODEL: model }, timeout: 60_000 });
      const out = JSON.parse(stdout);
      expect(out.json).toMatchObject({ id: expect.stringMatching(/^resp_/), text: "Run `pip install pyyaml` to parse YAML.", status: "completed", input_tokens: 9 });
      expect(out.json.report).toMatchObject({ verdict: "clean", action: "annotated" });
      expect(out.call).toEqual({ type: "function_call", name: "exec_command", call_id: "call_py", arguments: { cmd: "pip install pyyaml" } });
      expect(out.stream).toMatchObject({ text: "Run `pip install pyyaml` to parse YAML.", final: "Run `pip install pyyaml` to parse YAML.", status: "completed" });
      expect(out.stream.deltas).toBeGreaterThan(1);
      expect(out.stream.report).toMatchObject({ verdict: "clean" });
      expect(out.events[0]).toBe("response.created");
      expect(out.events.at(-1)).toBe("response.completed");
      expect(out.events).toContain("response.output_text.delta");
      expect(out.cut).toMatch(/^APIError: .*Upstream/);
    } finally {
      h.up.setHandler(undefined);
    }
  }, 90_000);
});
