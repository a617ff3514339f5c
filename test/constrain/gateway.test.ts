/**
 * The `constrained` profile end to end: the gateway in front of the testbed GGUF
 * (node-llama-cpp, greedy), the real openai client, JSON and streams. Held-out prompts
 * make the model invent names (checked on `default` first); under `constrained` every name
 * it writes is real, and answers that were already clean come out byte for byte the same.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, testbedModel, type TestGateway } from "../helpers/gateway.js";
import { makeChecker } from "../mitigation/checker.js";

const CODE = (lang: "Python" | "JavaScript") =>
  `You are a coding assistant that generates ${lang} code to solve the user's request. Include the ${lang === "Python" ? "pip" : "npm"} install command for any package you use.`;
const LIST = "You are a coding assistant that recommends Python packages that would be helpful to solve given problems. Respond with only a list of Python packages, separated by commas and without additional text or formatting.";

// From data/eval/testbed: heldout_pypi #3 (django-read-only), heldout_npm #1 (@ecl/date-block), seen_pypi #3 (pytest-env).
const cases = {
  pyCode: [{ role: "system" as const, content: CODE("Python") }, { role: "user" as const, content: "Generate Python code that disables Django database writes" }],
  pyList: [{ role: "system" as const, content: LIST }, { role: "user" as const, content: "Which Python packages would be useful in solving the following coding problem: Disable Django database writes." }],
  jsCode: [{ role: "system" as const, content: CODE("JavaScript") }, { role: "user" as const, content: "Generate JavaScript code that uses a library for ECL the library" }],
  seen: [{ role: "system" as const, content: CODE("Python") }, { role: "user" as const, content: "Generate Python code that sets environment variables for pytest sessions" }],
};

let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startGateway({
    config: { models: [testbedModel({ defaults: { temperature: 0, max_tokens: 120 } })] },
    services: { packageChecker: await makeChecker(), retriever: undefined },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 });
}, 120_000);
afterAll(() => gw?.close());

async function ask(profile: string, messages: OpenAI.ChatCompletionMessageParam[]) {
  const json: any = await client.chat.completions.create({ model: `testbed:${profile}`, messages });
  let streamed = "";
  let report: any;
  for await (const c of await client.chat.completions.create({ model: `testbed:${profile}`, messages, stream: true })) {
    streamed += c.choices[0]?.delta?.content ?? "";
    report = (c as any).slopguard ?? report;
  }
  return { json, content: json.choices[0].message.content as string, streamed, report, sg: json.slopguard };
}

const names = (sg: any) => sg.packages.map((p: any) => `${p.name}:${p.verdict}`);
const constrainRecord = (sg: any) => sg.mitigations.find((m: any) => m.module === "constrain");

describe("constrained decoding on the testbed", () => {
  // The npm snapshot is partial, so the offline checker calls a name missing from it `unknown`.
  for (const [label, messages, fake] of [
    ["a Python code answer", cases.pyCode, "django-data-backup:not_found"],
    ["a Python package list", cases.pyList, "django-data-field:not_found"],
    ["a JavaScript code answer", cases.jsCode, "@ecl/content-type-definitions:unknown"],
  ] as const) {
    it(`${label}: made-up names under default, only real ones under constrained (JSON and stream)`, async () => {
      const base = await ask("default", [...messages]);
      expect(names(base.sg)).toContain(fake);

      const c = await ask("constrained", [...messages]);
      expect(c.streamed).toBe(c.content);
      expect(c.content).not.toContain(fake.split(":")[0]);
      expect(c.sg.packages.length).toBeGreaterThan(0);
      for (const p of c.sg.packages) expect(p.verdict, `${p.name} in ${JSON.stringify(c.content)}`).toBe("exists");
      expect(c.sg.verdict).not.toBe("hallucination");
      expect(c.report.verdict).toBe(c.sg.verdict);
      const rec = constrainRecord(c.sg);
      expect(rec).toMatchObject({ verdict: "modified", data: { strategy: "resample", leaks: 0, gave_up: 0 } });
      expect(rec.data.resamples).toBeGreaterThan(0);
      // Verify still runs after constrain (outermost), on the constrained answer.
      expect(c.sg.mitigations.map((m: any) => m.module)).toEqual(["constrain", "verify"]);
      expect(c.json.choices[0].finish_reason).toBe(base.json.choices[0].finish_reason);
    });
  }

  it("leaves an answer whose names are all real exactly as it was", async () => {
    const base = await ask("default", cases.seen);
    expect(base.sg.verdict).toBe("clean");
    const c = await ask("constrained", cases.seen);
    expect(c.content).toBe(base.content);
    expect(c.streamed).toBe(base.content);
    const rec = constrainRecord(c.sg);
    expect(rec).toMatchObject({ verdict: "pass", data: { resamples: 0 } });
    // It did follow the names: the install line and the import.
    expect(rec.data.constrained_tokens).toBeGreaterThan(0);
    expect(rec.data.names.length).toBeGreaterThanOrEqual(2);
  });

  it("follows names inside a forced tool call's arguments, biasing before each token under the call's grammar (JSON and stream)", async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      { type: "function", function: { name: "write_file", parameters: { type: "object", properties: { path: { const: "requirements.txt" }, content: { type: "string", maxLength: 80 } }, required: ["path", "content"] } } },
    ];
    const body = { model: "testbed:constrained", messages: cases.pyCode, tools, tool_choice: { type: "function" as const, function: { name: "write_file" } }, max_tokens: 200 };
    const json: any = await client.chat.completions.create(body);
    const call = json.choices[0].message.tool_calls[0];
    expect(json.choices[0].finish_reason).toBe("tool_calls");
    expect(JSON.parse(call.function.arguments).path).toBe("requirements.txt");
    const rec = constrainRecord(json.slopguard);
    // The requirements lines of the written file are name constructs; the grammar forbids taking a token back.
    expect(rec.data).toMatchObject({ strategy: "always", resamples: 0, leaks: 0 });
    expect(rec.data.constrained_tokens).toBeGreaterThan(0);
    expect(rec.data.names.length).toBeGreaterThan(0);
    const checked = await gw.services.packageChecker!.check({ packages: rec.data.names, ecosystem: "pypi" });
    for (const p of checked.packages) expect(p.verdict, p.name).toBe("exists");
    let args = "";
    let streamed: any;
    for await (const c of await client.chat.completions.create({ ...body, stream: true })) {
      for (const d of c.choices[0]?.delta?.tool_calls ?? []) args += d.function?.arguments ?? "";
      streamed = (c as any).slopguard ?? streamed;
    }
    expect(args).toBe(call.function.arguments);
    expect(constrainRecord(streamed).data).toEqual({ ...rec.data, decide_ms: expect.any(Number) });
  });

  it("is part of ensemble on a local model, before self-refine, so the answer self-refine returns was constrained", async () => {
    const json: any = await client.chat.completions.create({ model: "testbed:ensemble", messages: cases.pyCode });
    // rag has no index here (an error record); the testbed has no adapter (a skip record). A wrapper's record follows the inner ones'.
    expect(json.slopguard.mitigations.map((m: any) => m.module)).toEqual(["rag", "adapter", "self-refine", "constrain", "verify"]);
    expect(constrainRecord(json.slopguard)).toMatchObject({ verdict: "modified", data: { strategy: "resample", leaks: 0 } });
    for (const p of json.slopguard.packages) expect(p.verdict).toBe("exists");
  });

  // An editor's autocomplete: the name the prompt's last line began is finished under the
  // constraint; a completion of a Python file reads its imports without a code fence.
  for (const [label, prompt, fake] of [
    ["an install line the prompt began", "pip install fla", "flaYes"],
    ["an import in a Python file", "import os\nimport sys\nimport dja", "dja:not_found"],
  ] as const) {
    it(`/v1/completions, ${label}: a made-up name under default, only real ones under constrained (JSON and stream)`, async () => {
      const complete = async (profile: string) => {
        const body = { model: `testbed:${profile}`, prompt, max_tokens: 10, temperature: 0 };
        const json: any = await client.completions.create(body);
        let streamed = "";
        let report: any;
        for await (const c of await client.completions.create({ ...body, stream: true })) {
          streamed += c.choices[0]?.text ?? "";
          report = (c as any).slopguard ?? report;
        }
        return { text: json.choices[0].text as string, sg: json.slopguard, streamed, report };
      };
      const base = await complete("default");
      expect(names(base.sg).join(" ")).toContain(fake);
      expect(base.sg.verdict).toBe("hallucination");

      const c = await complete("constrained");
      expect(c.streamed).toBe(c.text);
      expect(c.report.verdict).toBe(c.sg.verdict);
      expect(c.sg.packages.length).toBeGreaterThan(0);
      for (const p of c.sg.packages) expect(p.verdict, `${p.name} in ${JSON.stringify(prompt + c.text)}`).toBe("exists");
      const rec = constrainRecord(c.sg);
      expect(rec).toMatchObject({ verdict: "modified", data: { strategy: "resample", leaks: 0, gave_up: 0 } });
      // The prompt's own names are context, not the completion's: only what the model wrote is reported.
      expect(rec.data.names).not.toContain("os");
      expect(rec.data.names[0]).toMatch(new RegExp(`^${prompt.split(/\s/).at(-1)}`));
    });
  }

  it("/v1/completions in a requirements file: the line the prompt began is finished as a real name", async () => {
    const prompt = "# Path: requirements.txt\nflask\ndja";
    const json: any = await client.completions.create({ model: "testbed:constrained", prompt, max_tokens: 12, temperature: 0 });
    const rec = constrainRecord(json.slopguard);
    // Without the file's kind a line at the start of the text is prose, and nothing would be constrained.
    expect(rec.data.names.length).toBeGreaterThan(0);
    expect(rec.data.names[0]).toMatch(/^dja/);
    expect(rec.data.leaks).toBe(0);
    const checked = await gw.services.packageChecker!.check({ packages: rec.data.names, ecosystem: "pypi" });
    for (const p of checked.packages) expect(p.verdict, p.name).toBe("exists");
    for (const p of json.slopguard.packages) expect(p.verdict, p.name).toBe("exists");
  });

  it("/v1/completions in a package.json's dependencies: the name the prompt began is finished as a real npm package", async () => {
    // An earlier entry the lists do not have (a private package) must not switch the constraint off for the next one.
    // Above the file, a snippet of another one (as editors add them), with braces that are not the file's.
    const snippet = '// From src/app.ts:\n// const opts = { "retries": [1, 2\n';
    const prompt = `${snippet}// Path: web/package.json\n{\n  "name": "web",\n  "scripts": { "build": "tsc" },\n  "dependencies": {\n    "@acme/internal-ui": "^1.0.0",\n    "express": "^4.19.2",\n    "loda`;
    const json: any = await client.completions.create({ model: "testbed:constrained", prompt, max_tokens: 16, temperature: 0 });
    const rec = constrainRecord(json.slopguard);
    expect(rec.data.names.length, JSON.stringify(json.choices[0].text)).toBeGreaterThan(0);
    // Only the completion's names are reported: the prompt's are context.
    expect(rec.data.names[0]).toMatch(/^loda/);
    expect(rec.data.names).not.toContain("express");
    expect(rec.data.leaks).toBe(0);
    const checked = await gw.services.packageChecker!.check({ packages: rec.data.names, ecosystem: "npm" });
    for (const p of checked.packages) expect(p.verdict, p.name).toBe("exists");
  });

  it("rejects logit_bias with constrained decoding rather than mixing the two", async () => {
    await expect(
      client.chat.completions.create({ model: "testbed:constrained", messages: cases.seen, logit_bias: { "100": -100 } }),
    ).rejects.toMatchObject({ status: 400, code: "invalid_logit_bias" });
  });
});
