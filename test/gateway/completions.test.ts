/**
 * `/v1/completions` (editor autocomplete), read by the real openai client
 * (`completions.create`, JSON and stream, with `suffix`), with the gateway's model being
 * - an `openai-compatible` chat upstream: the completion goes as a FIM chat turn;
 * - an `openai-compatible` upstream with its own `/v1/completions` (`completions: completions`):
 *   the request passes through, unknown fields too;
 * - the local testbed GGUF (real node-llama-cpp): it has no infill tokens, so a `suffix`
 *   request is served by the chat path, and a plain prompt is continued as text.
 * The guard reads a completion as code: an `import` of a made-up package is reported
 * under annotate and withheld under strict, also when the completion finishes an
 * `import ` line the prompt started.
 */
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIM_SYSTEM } from "../../src/codecs/completions/request.js";
import { completionLanguage, fileStart } from "../../src/codecs/completions/language.js";
import { TESTBED_GGUF, startGateway, testbedModel, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { makeChecker } from "../mitigation/checker.js";
import { withFimTokens } from "../helpers/gguf-fim.js";

const MADE_UP = "reqeusts_oauthlib2";
const PREFIX = "# Path: app/client.py\nimport os\n";
const SUFFIX = "\n\ndef main():\n    pass\n";

let up: ScriptedUpstream;
let gw: TestGateway;
let client: OpenAI;
const fimGguf = path.join(os.tmpdir(), `slopguard-testbed-fim-${process.pid}.gguf`);

beforeAll(async () => {
  // The testbed with FIM token ids in its metadata (three of its control tokens), so the infill path runs.
  await withFimTokens(TESTBED_GGUF, fimGguf, { pre: 10, suf: 11, mid: 12 });
  up = await startScriptedUpstream();
  gw = await startGateway({
    config: {
      models: [
        upstreamModel(up, { name: "chat-up" }),
        upstreamModel(up, { name: "cmpl-up", completions: "completions" }),
        testbedModel({ defaults: { temperature: 0, max_tokens: 24 } }),
        testbedModel({ name: "testbed-fim", model: fimGguf, defaults: { temperature: 0, max_tokens: 24 } }),
      ],
    },
    services: { packageChecker: await makeChecker() },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 });
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await up?.close();
  await rm(fimGguf, { force: true });
});

async function streamed(params: OpenAI.CompletionCreateParamsNonStreaming) {
  const stream = await client.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = "";
  let finish: string | null = null;
  let report: any;
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
    usage = chunk.usage ?? usage;
    report = (chunk as any).slopguard ?? report;
  }
  return { text, finish, report, usage };
}

describe("a chat upstream: the completion as a fill-in-the-middle chat turn", () => {
  it("JSON: text_completion with choices[0].text; the upstream got the FIM instruction with both sides", async () => {
    up.setModel(() => ({ text: "import sys" }));
    const { data, response } = await client.completions.create({ model: "chat-up", prompt: PREFIX, suffix: SUFFIX, max_tokens: 32, stop: ["\n\n"], temperature: 0.2 }).withResponse();
    expect(data.object).toBe("text_completion");
    expect(data.id).toMatch(/^cmpl-/);
    expect(data.choices).toEqual([{ text: "import sys", index: 0, logprobs: null, finish_reason: "stop" }]);
    expect((data as any).slopguard).toMatchObject({ verdict: "none", packages: [] });
    expect(response.headers.get("x-slopguard-profile")).toBe("default");
    const body = up.chatRequests().at(-1)!.body;
    expect(body.messages[0]).toEqual({ role: "system", content: FIM_SYSTEM });
    expect(body.messages[1].content).toBe(`<before_cursor>\n${PREFIX}</before_cursor>\n<after_cursor>\n${SUFFIX}</after_cursor>\n\nThe text to insert at the cursor:`);
    expect(body).toMatchObject({ max_tokens: 32, stop: ["\n\n"], temperature: 0.2 });
  });

  it("stream: text chunks, finish_reason, usage, the report in a choices-less chunk, then [DONE]", async () => {
    up.setModel(() => ({ textChunks: ["import ", "sys", "\n"] }));
    const s = await streamed({ model: "chat-up", prompt: PREFIX, suffix: SUFFIX });
    expect(s.text).toBe("import sys\n");
    expect(s.finish).toBe("stop");
    expect(s.usage?.completion_tokens).toBeGreaterThan(0);
    expect(s.report).toMatchObject({ profile: "default" });
    const raw = await fetch(`${gw.baseURL}/completions`, { method: "POST", body: JSON.stringify({ model: "chat-up", prompt: PREFIX, stream: true }) });
    const events = (await raw.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(JSON.parse(events.at(-2)!.slice(6))).toMatchObject({ object: "text_completion", choices: [], slopguard: expect.any(Object) });
  });

  it("are counted under their route", async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/slopguard_requests_total\{model="chat-up",route="\/v1\/completions",status="200"\} [1-9]/);
  });

  it("bad requests are 400 naming the field", async () => {
    const err = await client.completions.create({ model: "chat-up", prompt: ["a", "b"] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe("prompt");
    const echo = await client.completions.create({ model: "chat-up", prompt: "x", echo: true }).catch((e) => e);
    expect(echo.status).toBe(400);
    expect(echo.error.param).toBe("echo");
  });
});

describe("an upstream with its own /v1/completions", () => {
  it("passes prompt, suffix, stop and unknown fields through, JSON and stream", async () => {
    up.setModel(() => ({ text: "import json" }));
    const data = await client.completions.create({ model: "cmpl-up", prompt: PREFIX, suffix: SUFFIX, max_tokens: 16, stop: "\n", user: "editor-1", logprobs: null } as any);
    expect(data.choices[0]!.text).toBe("import json");
    const body = up.requestsOf("completions").at(-1)!.body;
    expect(body).toEqual({ model: "upstream-model", prompt: PREFIX, suffix: SUFFIX, max_tokens: 16, stop: ["\n"], user: "editor-1", logprobs: null, stream: false });
    const s = await streamed({ model: "cmpl-up", prompt: PREFIX, suffix: SUFFIX });
    expect(s.text).toBe("import json");
    expect(s.usage).toMatchObject({ prompt_tokens: 9 });
    expect(up.requestsOf("completions").at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("a completions stream cut before its finish reason ends in an error, never [DONE]", async () => {
    up.enqueue({ kind: "reset", chunks: ["import ", "js"] });
    const raw = await fetch(`${gw.baseURL}/completions`, { method: "POST", body: JSON.stringify({ model: "cmpl-up", prompt: PREFIX, stream: true }) });
    const text = await raw.text();
    expect(text).toContain('"error"');
    expect(text).not.toContain("[DONE]");
  });
});

describe("the guard reads a completion as code", () => {
  it("annotate: an import of a made-up package is delivered and reported", async () => {
    up.setModel(() => ({ text: `import ${MADE_UP}\n` }));
    const { data, response } = await client.completions.create({ model: "chat-up", prompt: PREFIX, suffix: SUFFIX }).withResponse();
    expect(data.choices[0]!.text).toBe(`import ${MADE_UP}\n`);
    expect(response.headers.get("x-slopguard-verdict")).toBe("hallucination");
    expect((data as any).slopguard.packages).toEqual([expect.objectContaining({ name: MADE_UP, line: 1, verdict: "not_found", source: "import", ecosystem: "pypi" })]);
  });

  it("strict: the import is withheld, JSON and stream", async () => {
    up.setModel(() => ({ text: `import ${MADE_UP}\nimport json\n` }));
    const data = await client.completions.create({ model: "chat-up:strict", prompt: PREFIX, suffix: SUFFIX });
    const text = data.choices[0]!.text;
    expect(text).not.toContain(`import ${MADE_UP}`);
    expect(text).toContain(MADE_UP);
    expect(text).toContain("import json");
    expect((data as any).slopguard.action).toBe("blocked");
    const s = await streamed({ model: "chat-up:strict", prompt: PREFIX, suffix: SUFFIX });
    expect(s.text).toBe(text);
    expect(s.report.action).toBe("blocked");
  });

  it("strict: a completion that finishes the prompt's `import ` line is withheld too, and the client never gets the line's start back", async () => {
    up.setModel(() => ({ textChunks: ["req", "eusts_", "oauthlib2", "\n"] }));
    const prompt = `${PREFIX}import `;
    const s = await streamed({ model: "chat-up:strict", prompt, suffix: SUFFIX });
    expect(s.text).not.toContain(MADE_UP + "\n");
    expect(s.text.startsWith("import ")).toBe(false);
    expect(s.report.withheld).toEqual([{ kind: "code", reason: "not_found", packages: [MADE_UP] }]);
    up.setModel(() => ({ text: "requests\n" }));
    const ok = await client.completions.create({ model: "chat-up:strict", prompt, suffix: SUFFIX });
    expect(ok.choices[0]!.text).toBe("requests\n");
    expect((ok as any).slopguard.packages).toEqual([expect.objectContaining({ name: "Requests", ecosystem: "pypi", verdict: "exists", source: "import", line: 1 })]);
  });
});

describe("the guard reads a requirements file's completion as requirement lines", () => {
  const prompt = "# Path: requirements.txt\nflask==3.0.0\n";
  it("annotate reports the made-up line; strict withholds the completion (JSON and stream)", async () => {
    up.setModel(() => ({ text: "reqeusts-oauthlib2>=1.0\nrequests\n" }));
    const annotated: any = await client.completions.create({ model: "chat-up", prompt });
    expect(annotated.slopguard.packages).toEqual([
      expect.objectContaining({ name: "reqeusts-oauthlib2", ecosystem: "pypi", verdict: "not_found", source: "requirements" }),
      expect.objectContaining({ name: "requests", verdict: "exists", source: "requirements" }),
    ]);
    const strict: any = await client.completions.create({ model: "chat-up:strict", prompt });
    const text = strict.choices[0].text as string;
    // Lines that are all requirements read as one bare list: strict withholds the list whole, naming the bad line.
    expect(text).not.toMatch(/^reqeusts-oauthlib2>=1\.0$/m);
    expect(text).toContain("reqeusts-oauthlib2 (pypi)");
    expect(strict.slopguard.action).toBe("blocked");
    expect(strict.slopguard.withheld).toEqual([{ kind: "list", reason: "not_found", packages: ["reqeusts-oauthlib2"] }]);
    const s = await streamed({ model: "chat-up:strict", prompt });
    expect(s.text).toBe(text);
  });
});

describe("the guard reads a package.json completion as dependency entries", () => {
  // The editor's cursor is inside "dependencies", halfway through a name it began typing.
  const prompt = '// Path: web/package.json\n{\n  "name": "web",\n  "scripts": { "build": "tsc" },\n  "dependencies": {\n    "express": "^4.19.2",\n    "loda';
  it("annotate reports the made-up name (finished from the prompt's last line); strict withholds it (JSON and stream)", async () => {
    up.setModel(() => ({ textChunks: ['hs-utils": "^1.0.0",\n', '    "chalk": "^5.3.0"\n', "  }\n"] }));
    const annotated: any = await client.completions.create({ model: "chat-up", prompt });
    expect(annotated.choices[0].text).toBe('hs-utils": "^1.0.0",\n    "chalk": "^5.3.0"\n  }\n');
    expect(annotated.slopguard.packages).toEqual([
      // Offline, the npm snapshot is partial: a name missing from it is unknown, not absent.
      expect.objectContaining({ name: "lodahs-utils", ecosystem: "npm", verdict: "unknown", source: "package_json" }),
      expect.objectContaining({ name: "chalk", ecosystem: "npm", verdict: "exists", source: "package_json" }),
    ]);
    const strict: any = await client.completions.create({ model: "chat-up:strict", prompt });
    expect(strict.choices[0].text).not.toContain('hs-utils": "^1.0.0"');
    expect(strict.slopguard.action).toBe("blocked");
    expect(strict.slopguard.withheld).toEqual([{ kind: "code", reason: "unverified", packages: ["lodahs-utils"] }]);
    const s = await streamed({ model: "chat-up:strict", prompt });
    expect(s.text).toBe(strict.choices[0].text);
    // A real dependency, and a script whose command is no version, pass untouched.
    up.setModel(() => ({ text: 'sh": "^4.17.21"\n  }\n' }));
    const ok: any = await client.completions.create({ model: "chat-up:strict", prompt });
    expect(ok.choices[0].text).toBe('sh": "^4.17.21"\n  }\n');
    expect(ok.slopguard.packages).toEqual([expect.objectContaining({ name: "lodash", verdict: "exists", source: "package_json" })]);
  });
});

describe("repair on a completion", () => {
  it("asks again as a chat turn naming the made-up package (the completion's own text would get the same answer)", async () => {
    up.setModel((turn) => (turn.api === "completions" ? { text: `import ${MADE_UP}\n` } : { text: "import requests\n" }));
    const before = up.requestsOf("chat").length;
    const data = await client.completions.create({ model: "cmpl-up:repair", prompt: PREFIX, suffix: SUFFIX });
    expect(data.choices[0]!.text).toBe("import requests\n");
    const asked = up.requestsOf("chat").slice(before)[0]!.body.messages;
    expect(asked[0]).toEqual({ role: "system", content: FIM_SYSTEM });
    expect(asked.at(-2)).toMatchObject({ role: "assistant", content: `import ${MADE_UP}\n` });
    expect(asked.at(-1).content).toContain(MADE_UP);
  });
});

describe("the local testbed model", () => {
  it("continues a plain prompt as text (JSON and stream give the same greedy text)", async () => {
    const data = await client.completions.create({ model: "testbed", prompt: "```python\nimport ", max_tokens: 12 });
    const text = data.choices[0]!.text;
    expect(text.length).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBeLessThanOrEqual(12);
    // The prompt is the text itself: a handful of tokens, no chat template around it.
    expect(data.usage!.prompt_tokens).toBeLessThan(12);
    const s = await streamed({ model: "testbed", prompt: "```python\nimport ", max_tokens: 12 });
    expect(s.text).toBe(text);
    expect(s.finish).toBe(data.choices[0]!.finish_reason);
  }, 60_000);

  it("serves a suffix request through the FIM chat turn (the testbed GGUF has no infill tokens)", async () => {
    const data = await client.completions.create({ model: "testbed", prompt: PREFIX, suffix: SUFFIX, max_tokens: 12 });
    expect(data.object).toBe("text_completion");
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    // The chat template and the FIM instruction are part of the prompt.
    expect(data.usage!.prompt_tokens).toBeGreaterThan(60);
  }, 60_000);
});

describe("count_tokens on a local model", () => {
  it("is exact: the tokenizer's count of the rendered prompt, as the answer's usage reports it", async () => {
    const req = { model: "testbed", max_tokens: 4, system: "You are a coding assistant.", messages: [{ role: "user", content: "Which Python packages would be useful in solving the following coding problem: parse YAML?" }] };
    const counted = await fetch(`${gw.url}/v1/messages/count_tokens`, { method: "POST", body: JSON.stringify(req) });
    expect(counted.headers.get("x-slopguard-token-count")).toBe("exact");
    const { input_tokens } = (await counted.json()) as { input_tokens: number };
    const answer = (await (await fetch(`${gw.url}/v1/messages`, { method: "POST", body: JSON.stringify(req) })).json()) as any;
    expect(input_tokens).toBeGreaterThan(20);
    expect(answer.usage.input_tokens).toBe(input_tokens);
  }, 60_000);
});

describe("a local GGUF with infill tokens", () => {
  it("serves a suffix request with them: prefix, suffix and middle tokens, no chat template (JSON and stream agree)", async () => {
    const data = await client.completions.create({ model: "testbed-fim", prompt: PREFIX, suffix: SUFFIX, max_tokens: 8 });
    expect(data.object).toBe("text_completion");
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    // The same request took > 60 prompt tokens through the chat turn on the plain testbed.
    expect(data.usage!.prompt_tokens).toBeLessThan(40);
    const s = await streamed({ model: "testbed-fim", prompt: PREFIX, suffix: SUFFIX, max_tokens: 8 });
    expect(s.text).toBe(data.choices[0]!.text);
  }, 60_000);
});

describe("the file's language", () => {
  it("comes from a path comment, else from the code's marks", () => {
    expect(completionLanguage("# Path: a/b.py\nx = 1\n", undefined)).toBe("python");
    expect(completionLanguage("// File: src/app.ts\nlet x", undefined)).toBe("typescript");
    expect(completionLanguage("<filename>index.js\n", undefined)).toBe("javascript");
    expect(completionLanguage("def f(x):\n    return x\n", "")).toBe("python");
    expect(completionLanguage("const fs = require('fs');\n", "")).toBe("javascript");
    expect(completionLanguage("hello", "")).toBeUndefined();
    for (const file of ["requirements.txt", "app/requirements-dev.txt", "constraints.txt", "requirements/base.in"]) {
      expect(completionLanguage(`# Path: ${file}\nflask\n`, undefined), file).toBe("requirements");
    }
    expect(completionLanguage("# Path: notes/requirements.md\n", undefined)).toBeUndefined();
    expect(completionLanguage('// Path: web/package.json\n{\n  "dependencies": {\n', undefined)).toBe("package_json");
    expect(completionLanguage("<filename>package.json\n{", undefined)).toBe("package_json");
    expect(completionLanguage("// Path: web/package.json.bak\n", undefined)).toBeUndefined();
  });

  it("starts after the path comment: context an editor puts above it is not the file", () => {
    const prompt = "// From src/a.ts:\n// const x = {\n// Path: web/package.json\n{\n";
    expect(prompt.slice(fileStart(prompt))).toBe("{\n");
    expect(fileStart("{\n  \"a\": 1")).toBe(0);
  });
});
