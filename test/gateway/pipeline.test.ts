/**
 * The chat route with the real mitigation pipeline (src/mitigation) and package
 * checker (src/packages, offline snapshot): profile resolution and the slopguard
 * report in JSON and SSE.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;
let client: OpenAI;
const body = (r: Response): Promise<any> => r.json();

const FAKE = "quantumyamlparserx-fastlib";
const answer = `\`\`\`bash\npip install ${FAKE}\n\`\`\`\n\n\`\`\`python\nimport requests\n\`\`\``;
const messages = [{ role: "user" as const, content: "Generate Python code that parses YAML" }];

beforeAll(async () => {
  up = await startScriptedUpstream();
  up.setHandler((b) => (b?.stream ? { kind: "stream", chunks: answer.match(/[\s\S]{1,7}/g)! } : { kind: "json", content: answer }));
  gw = await startGateway({ config: { models: [upstreamModel(up, { ecosystem: "pypi" })], packages: { mode: "offline" } } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "unused", maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const post = (b: object, headers: Record<string, string> = {}) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(b) });

describe("chat route with the mitigation pipeline", () => {
  it("default profile: verify annotates the JSON answer and sets headers", async () => {
    const res = await post({ model: "up", messages });
    expect(res.status).toBe(200);
    const json = await body(res);
    expect(json.choices[0].message.content).toBe(answer);
    expect(json.slopguard).toMatchObject({ profile: "default", verdict: "hallucination" });
    expect(json.slopguard.packages.map((p: { name: string }) => p.name)).toContain(FAKE);
    expect(res.headers.get("x-slopguard-verdict")).toBe("hallucination");
    expect(res.headers.get("x-slopguard-profile")).toBe("default");
  });

  it("profile from the header and from the model suffix (strict blocks)", async () => {
    const viaHeader = await body(await post({ model: "up", messages }, { "X-Slopguard-Profile": "strict" }));
    expect(viaHeader.choices[0].finish_reason).toBe("content_filter");
    expect(viaHeader.slopguard.profile).toBe("strict");
    const viaSuffix = await client.chat.completions.create({ model: "up:strict", messages });
    expect(viaSuffix.choices[0]!.finish_reason).toBe("content_filter");
    expect(viaSuffix.model).toBe("up");
  });

  it("unknown profile → 400 naming where it came from", async () => {
    const res = await post({ model: "up:nosuch", messages });
    expect(res.status).toBe(400);
    const json = await body(res);
    expect(json.error).toMatchObject({ code: "invalid_profile", param: "model" });
    const h = await post({ model: "up", messages }, { "X-Slopguard-Profile": "nosuch" });
    expect((await body(h)).error.param).toBe("X-Slopguard-Profile");
  });

  it("stream: content as upstream, then a final chunk with the report before [DONE]", async () => {
    const res = await post({ model: "up", messages, stream: true });
    const raw = await res.text();
    const events = raw.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice("data: ".length)));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text).toBe(answer);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.slopguard).toMatchObject({ verdict: "hallucination" });
  });
});
