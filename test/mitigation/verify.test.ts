/**
 * verify through the real gateway: annotate and block, JSON and SSE, read by the real
 * openai client and by a raw HTTP client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE, codeAnswer, parseSse, rawPost, reply, shred, startHarness, type Harness } from "./setup.js";

const BAD = codeAnswer(["requests", FAKE("a")]);
const GOOD = codeAnswer(["requests", "numpy"]);
const ask = (profile?: string) => ({
  model: profile ? `up:${profile}` : "up",
  messages: [{ role: "user" as const, content: "Generate Python code that fetches a page" }],
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.up.setHandler((body) => reply(body, JSON.stringify(body.messages).includes("clean please") ? GOOD : BAD));
});
afterAll(() => h.close());

describe("verify: annotate", () => {
  it("adds headers and a slopguard object the openai client accepts", async () => {
    const { data, response } = await h.client.chat.completions.create(ask()).withResponse();
    expect(data.choices[0]!.message.content).toBe(BAD);
    expect(response.headers.get("x-slopguard-verdict")).toBe("hallucination");
    expect(response.headers.get("x-slopguard-hallucinated")).toBe("1");
    expect(response.headers.get("x-slopguard-packages")).toBe("2");
    const sg = (data as any).slopguard;
    expect(sg.verdict).toBe("hallucination");
    expect(sg.action).toBe("annotated");
    expect(sg.packages.find((p: any) => p.name === FAKE("a"))).toMatchObject({ verdict: "not_found", risk: "high" });
    expect(sg.mitigations.map((m: any) => m.module)).toEqual(["verify"]);
  });

  it("a clean answer says clean, and a raw JSON parse reads the same body", async () => {
    const { res, text } = await rawPost(h.gw, { ...ask(), messages: [{ role: "user", content: "clean please" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-slopguard-verdict")).toBe("clean");
    const body = JSON.parse(text);
    expect(body.object).toBe("chat.completion");
    expect(body.slopguard.verdict).toBe("clean");
    expect(body.slopguard.totals).toMatchObject({ packages: 2, not_found: 0 });
  });

  it("streams the upstream's chunks as they come (annotate holds nothing) and ends with a verdict chunk before [DONE]", async () => {
    const { res, text } = await rawPost(h.gw, { ...ask(), stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(text);
    const contents = events.flatMap((e) => (e.choices ?? []).map((c: any) => c.delta?.content ?? "")).filter(Boolean);
    expect(contents.join("")).toBe(BAD);
    // The upstream sent 1–3 characters per chunk, and so does the gateway.
    expect(contents).toEqual(shred(BAD));
    const last = events[events.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.slopguard.verdict).toBe("hallucination");
    expect(last.slopguard.mitigations[0].data.held_segments).toBe(0);
  });

  it("stream and non-stream give the same verdict and packages; the openai client ignores the verdict chunk", async () => {
    const json = await h.client.chat.completions.create(ask());
    const stream = await h.client.chat.completions.create({ ...ask(), stream: true });
    let content = "";
    let report: any;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? "";
      if ((chunk as any).slopguard) report = (chunk as any).slopguard;
    }
    expect(content).toBe(json.choices[0]!.message.content);
    expect(report.verdict).toBe((json as any).slopguard.verdict);
    expect(report.packages).toEqual((json as any).slopguard.packages);
    // The helper that accumulates a final completion must not trip over an empty-choices chunk.
    const runner = h.client.chat.completions.stream(ask());
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(BAD);
  });
});

describe("verify: block", () => {
  it("replaces each code block that names a made-up package with a notice, keeps the prose, finish_reason content_filter", async () => {
    const { data, response } = await h.client.chat.completions.create(ask("strict")).withResponse();
    expect(data.choices[0]!.finish_reason).toBe("content_filter");
    const content = data.choices[0]!.message.content!;
    expect(content.startsWith("Here you go.\n\n[slopguard withheld this code block")).toBe(true);
    expect(content.match(/slopguard withheld this code block/g)).toHaveLength(2);
    expect(content).toContain(`- ${FAKE("a")} (pypi): does not exist`);
    expect(content).not.toContain("import requests");
    expect(content).not.toContain("pip install");
    expect(response.headers.get("x-slopguard-action")).toBe("blocked");
    expect((data as any).slopguard).toMatchObject({ verdict: "hallucination", action: "blocked", policy: "block" });
  });

  it("streams the prose, and holds each code block until it is checked and replaced", async () => {
    const stream = await h.client.chat.completions.create({ ...ask("strict"), stream: true });
    let content = "";
    let finish: string | null | undefined;
    let report: any;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if ((chunk as any).slopguard) report = (chunk as any).slopguard;
    }
    expect(content).not.toContain("pip install");
    expect(content).toContain(FAKE("a"));
    expect(content.startsWith("Here you go.\n\n[slopguard withheld this code block")).toBe(true);
    expect(finish).toBe("content_filter");
    expect(report.action).toBe("blocked");
    expect(report.withheld).toEqual([
      { kind: "code", reason: "not_found", packages: [FAKE("a")] },
      { kind: "code", reason: "not_found", packages: [FAKE("a").replace(/-/g, "_")] },
    ]);
    expect(report.mitigations[0].data.held_segments).toBe(2);
  });

  it("lets a clean answer through unchanged, streamed via raw HTTP too", async () => {
    const body = { ...ask("strict"), messages: [{ role: "user", content: "clean please" }], stream: true };
    const events = parseSse((await rawPost(h.gw, body)).text);
    const content = events.map((e) => e.choices?.[0]?.delta?.content ?? "").join("");
    expect(content).toBe(GOOD);
    expect(events.at(-1).slopguard).toMatchObject({ verdict: "clean", action: "annotated" });
  });
});

describe("profiles", () => {
  it("an unknown profile is a 400 with an OpenAI-style error", async () => {
    const { res, text } = await rawPost(h.gw, ask(), { "X-Slopguard-Profile": "nope" });
    expect(res.status).toBe(400);
    expect(JSON.parse(text).error.message).toContain("unknown mitigation profile 'nope'");
  });

  it("the header selects a profile", async () => {
    const { res } = await rawPost(h.gw, ask(), { "X-Slopguard-Profile": "strict" });
    expect(res.headers.get("x-slopguard-profile")).toBe("strict");
    expect(res.headers.get("x-slopguard-action")).toBe("blocked");
  });
});

describe("metrics", () => {
  it("exports answers by verdict, packages by ecosystem and verdict, and the buffering cost on /metrics", async () => {
    await h.client.chat.completions.create(ask());
    for await (const _ of await h.client.chat.completions.create({ ...ask(), stream: true })) void _;
    for await (const _ of await h.client.chat.completions.create({ ...ask("strict"), stream: true })) void _;
    const text = await (await fetch(`${h.gw.url}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/^slopguard_answers_total\{verdict="hallucination",stage="client",stream="false"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^slopguard_answers_total\{verdict="hallucination",stage="client",stream="true"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^slopguard_packages_checked_total\{ecosystem="pypi",verdict="not_found"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^slopguard_stream_hold_delay_seconds_count\{mode="hold-code"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
    expect(value(/^slopguard_stream_held_segments_total\{kind="fence"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^slopguard_mitigation_duration_seconds_count\{module="verify"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^slopguard_blocked_answers_total\{stream="false"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
  });
});
