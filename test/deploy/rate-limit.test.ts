/**
 * The per-API-key limiter mounted in the real gateway (in-process state), driven
 * with the real openai client against a scripted loopback upstream. The shared,
 * two-process version over Redis is in replicas.test.ts.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const KEYS = ["sk-team-a-0123456789", "sk-team-b-0123456789"];

describe("rate limits per API key", () => {
  let upstream: ScriptedUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startScriptedUpstream();
    gateway = await startGateway({
      config: {
        server: { apiKeys: KEYS },
        models: [upstreamModel(upstream)],
        state: { url: "memory", rateLimits: { requestsPerMinute: 3, tokensPerMinute: 40 } },
      },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const client = (apiKey: string) => new OpenAI({ baseURL: gateway.baseURL, apiKey, maxRetries: 0 });
  const ask = (apiKey: string) =>
    client(apiKey).chat.completions.create({ model: "up", messages: [{ role: "user", content: "hi" }] });

  it("refuses the request after the per-minute budget with 429, Retry-After and an OpenAI error", async () => {
    await ask(KEYS[0]!);
    await ask(KEYS[0]!);
    const third = await client(KEYS[0]!)
      .chat.completions.create({ model: "up", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(third.response.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    const refused = await ask(KEYS[0]!).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(Number(error.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.type).toBe("requests");
    expect(upstream.chatRequests()).toHaveLength(3);
  });

  it("charges tokens after the answer and refuses once the token budget is spent", async () => {
    // 9 prompt + 30 completion tokens = 39 of 40: the next request is still admitted (budget left),
    // overshoots to 78, and the one after is refused for tokens although requests remain.
    const key = KEYS[1]!;
    upstream.enqueue({ kind: "json", content: "word ".repeat(30) }, { kind: "json", content: "word ".repeat(30) });
    await ask(key);
    await ask(key);
    const refused = await ask(key).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.type).toBe("tokens");
    expect(error.message).toMatch(/tokens per minute .*limit 40\/min/);
  });

  it("never lets a wrong key through, limits or not", async () => {
    const refused = await ask("sk-wrong-0123456789").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
