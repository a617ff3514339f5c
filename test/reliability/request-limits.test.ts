/**
 * Bodies that hurt before any upstream is involved: a field nested thousands of
 * levels deep (it overflowed the stack and was blamed on the upstream as a 502), and
 * bodies sent without a valid key (they were read and parsed before the key check).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_DEPTH, nestedDeeperThan } from "../../src/server/body.js";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let up: ScriptedUpstream;
let gw: TestGateway;
const messages = [{ role: "user", content: "hi" }];

beforeAll(async () => {
  up = await startScriptedUpstream();
  gw = await startGateway({ config: { server: { apiKeys: ["good-key"], bodyLimitBytes: 1_048_576 }, models: [upstreamModel(up)] } });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

const post = (body: string, key = "good-key") =>
  fetch(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body });

/** `{"a":{"a":…1…}}` or `[[…1…]]`, `depth` containers deep, as text (building it as an object would recurse). */
const nested = (depth: number, kind: "object" | "array" = "object") =>
  kind === "object" ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "1" + "]".repeat(depth);

describe("deeply nested bodies", () => {
  it.each([
    ["an extra object field 6,000 levels deep", `{"model":"up","messages":${JSON.stringify(messages)},"extra":${nested(6_000)}}`],
    ["an array 100,000 levels deep", `{"model":"up","messages":${JSON.stringify(messages)},"extra":${nested(100_000, "array")}}`],
    ["a message content nested 6,000 levels", `{"model":"up","messages":[{"role":"user","content":${nested(6_000, "array")}}]}`],
  ])("%s → 400 body_too_deep, and the upstream is never called", async (_name, body) => {
    const calls = up.chatRequests().length;
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: "body_too_deep", type: "invalid_request_error" });
    expect(up.chatRequests().length).toBe(calls);
  });

  it(`accepts nesting up to ${MAX_BODY_DEPTH} levels (the body itself counts as one)`, async () => {
    const ok = await post(`{"model":"up","messages":${JSON.stringify(messages)},"metadata_extra":${nested(MAX_BODY_DEPTH - 1)}}`);
    expect(ok.status).toBe(200);
    const deep = await post(`{"model":"up","messages":${JSON.stringify(messages)},"metadata_extra":${nested(MAX_BODY_DEPTH)}}`);
    expect(deep.status).toBe(400);
  });

  it("measures depth without recursion, in linear time", () => {
    const wide = JSON.parse(`[${Array.from({ length: 50_000 }, () => '{"a":[1,2,{"b":3}]}').join(",")}]`);
    const t0 = performance.now();
    expect(nestedDeeperThan(wide, MAX_BODY_DEPTH)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(nestedDeeperThan(JSON.parse(nested(100_000, "array")), MAX_BODY_DEPTH)).toBe(true);
    expect(nestedDeeperThan("text", 0)).toBe(false);
  });
});

describe("the key is checked before the body is read", () => {
  it("a wrong key with malformed JSON gets 401, not 400", async () => {
    const res = await post("{not json", "wrong-key");
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe("invalid_api_key");
  });

  it("a wrong key with a body over the limit gets 401, not 413", async () => {
    const res = await post(JSON.stringify({ model: "up", messages: [{ role: "user", content: "x".repeat(2_000_000) }] }), "wrong-key");
    expect(res.status).toBe(401);
  });

  it("a wrong key with a deeply nested body gets 401", async () => {
    const res = await post(`{"extra":${nested(6_000)}}`, "wrong-key");
    expect(res.status).toBe(401);
  });

  it("the right key still gets the body checks", async () => {
    expect((await post("{not json")).status).toBe(400);
    expect((await post(JSON.stringify({ model: "up", messages: [{ role: "user", content: "x".repeat(2_000_000) }] }))).status).toBe(413);
  });
});
