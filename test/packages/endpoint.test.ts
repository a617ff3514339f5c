/** POST /v1/packages/check on the real gateway (same wiring as `slopguard serve`). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({
    config: { models: [upstreamModel({ baseURL: "http://127.0.0.1:9/v1" })], packages: { mode: "offline" }, server: { apiKeys: ["sk-test-key"] } },
  });
});
afterAll(() => gw.close());

async function post(body: unknown, key = "sk-test-key"): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.url}/v1/packages/check`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

describe("POST /v1/packages/check", () => {
  it("checks markdown text", async () => {
    const { status, json } = await post({ text: "```python\nimport yaml\nimport fakelib_zz_invented\n```" });
    expect(status).toBe(200);
    expect(json.object).toBe("packages.check");
    expect(json.verdict).toBe("hallucination");
    expect(json.totals).toEqual({ packages: 2, exists: 1, not_found: 1, unknown: 0, risky: 0, allowed: 0 });
    expect(json.packages[0]).toMatchObject({ name: "PyYAML", normalized: "pyyaml", module: "yaml", source: "import", line: 2, verdict: "exists", via: "snapshot", risks: [], risk: "none" });
    expect(json.packages[1]).toMatchObject({ normalized: "fakelib-zz-invented", verdict: "not_found", risk: "high" });
  });

  it("checks code with a language, and a package list", async () => {
    const code = await post({ code: "import express from 'express';\nimport fs from 'node:fs';", language: "typescript" });
    expect(code.json.packages.map((p: any) => p.name)).toEqual(["express"]);
    const list = await post({ packages: ["lodash", "@types/node"], ecosystem: "npm" });
    expect(list.json.packages.map((p: any) => [p.name, p.source, p.verdict])).toEqual([["lodash", "list", "exists"], ["@types/node", "list", "exists"]]);
  });

  it("checks an agent's tool calls, each package with where it was found", async () => {
    const { status, json } = await post({ toolCalls: [{ id: "c1", name: "Bash", input: JSON.stringify({ command: "cd app && pip install flask-restfull requests" }) }] });
    expect(status).toBe(200);
    expect(json.packages.map((p: any) => [p.name, p.verdict, p.location])).toEqual([
      ["flask-restfull", "not_found", { toolCallId: "c1", tool: "Bash", path: "command" }],
      ["requests", "exists", { toolCallId: "c1", tool: "Bash", path: "command" }],
    ]);
  });

  it.each([
    [{}, "text"],
    [{ text: 5 }, "text"],
    [{ packages: "requests" }, "packages"],
    [{ packages: ["a"], ecosystem: "maven" }, "ecosystem"],
    [{ text: "x", extra: true }, null],
  ])("rejects %j with an OpenAI-style 400", async (body, param) => {
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ type: "invalid_request_error" });
    expect(typeof json.error.message).toBe("string");
    if (param) expect(json.error.param).toBe(param);
  });

  it("rejects non-JSON and non-object bodies", async () => {
    expect((await post("{nope")).status).toBe(400);
    expect((await post("[1,2]")).json.error.code).toBe("invalid_json");
  });

  it("requires the gateway API key", async () => {
    const { status, json } = await post({ text: "x" }, "wrong");
    expect(status).toBe(401);
    expect(json.error.type).toBe("authentication_error");
  });
});
