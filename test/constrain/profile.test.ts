/**
 * `constrained` on a model that cannot constrain (a remote OpenAI-compatible upstream): a
 * clear 400 by default, or the configured fallback, and in every case the report says what
 * happened. `ensemble` includes constrained decoding only on local models.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const FAKE = "quantumyamlparserx-fastlib";
const answer = `\`\`\`bash\npip install ${FAKE}\n\`\`\``;
const messages = [{ role: "user" as const, content: "Generate Python code that parses YAML" }];

let up: ScriptedUpstream;
const gateways: TestGateway[] = [];
beforeAll(async () => {
  up = await startScriptedUpstream();
  up.setHandler((b) => (b?.stream ? { kind: "stream", chunks: [answer] } : { kind: "json", content: answer }));
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await up?.close();
});

async function gateway(mitigation: Record<string, unknown> = {}, model: Record<string, unknown> = {}) {
  const gw = await startGateway({ config: { models: [upstreamModel(up, { ecosystem: "pypi", ...model })], packages: { mode: "offline" }, mitigation } });
  gateways.push(gw);
  return { gw, client: new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 }) };
}

describe("the constrained profile on a remote model", () => {
  it("answers 400 with what to do instead, JSON and stream, and never calls the upstream", async () => {
    const { client } = await gateway();
    const before = up.chatRequests().length;
    for (const stream of [false, true]) {
      const err: any = await client.chat.completions.create({ model: "up:constrained", messages, stream }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(400);
      expect(err.code).toBe("constrain_unsupported");
      expect(err.message).toContain("only local models");
      expect(err.message).toContain("'up'");
    }
    expect(up.chatRequests().length).toBe(before);
  });

  it("runs the fallback profile when configured, and says so in the report", async () => {
    const { client } = await gateway({ constrain: { remote: "fallback", fallbackProfile: "strict" } });
    const json: any = await client.chat.completions.create({ model: "up:constrained", messages });
    // strict blocks the made-up name; the report names the fallback.
    expect(json.choices[0].finish_reason).toBe("content_filter");
    const rec = json.slopguard.mitigations.find((m: any) => m.module === "constrain");
    expect(rec).toMatchObject({ verdict: "pass", data: { fallback: "strict" } });
    expect(rec.data.skipped).toContain("needs a local model");
  });

  it("skips only constrained decoding when configured to, and records the skip", async () => {
    const { client } = await gateway({ profiles: { "constrained-or-not": [{ module: "constrain", remote: "skip" }] } });
    const json: any = await client.chat.completions.create({ model: "up:constrained-or-not", messages });
    expect(json.choices[0].message.content).toBe(answer);
    expect(json.slopguard.verdict).toBe("hallucination");
    expect(json.slopguard.mitigations.map((m: any) => m.module)).toEqual(["constrain", "verify"]);
  });

  it("keeps the paper's ensemble on remote models, with the skip recorded", async () => {
    const { client } = await gateway();
    const json: any = await client.chat.completions.create({ model: "up:ensemble", messages });
    const rec = json.slopguard.mitigations.find((m: any) => m.module === "constrain");
    expect(rec.data.skipped).toContain("needs a local model");
  });

  it("refuses to start when a remote model's own profile needs constrained decoding", async () => {
    await expect(gateway({}, { profile: "constrained" })).rejects.toThrow(/only local models support/);
  });
});
