/**
 * self-refine through the real gateway against scripted upstreams: an upstream that
 * fixes itself on round k, one that never does, self-detection that disagrees with the
 * registry, and a client that goes away mid-refinement.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE, codeAnswer, isDetectQuestion, reply, roundOf, startHarness, type Harness } from "./setup.js";

const ask = (profile: string) => ({
  model: `up:${profile}`,
  messages: [{ role: "user" as const, content: "Generate Python code that fetches a page" }],
});

/** Hallucinates a new fake name each round until round `k` (Infinity: never fixes itself). */
function fixesOnRound(k: number) {
  return (body: any) => {
    const r = roundOf(body);
    return reply(body, r >= k ? codeAnswer(["requests", "numpy"]) : codeAnswer(["requests", FAKE(`r${r}`)]));
  };
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    mitigation: {
      profiles: {
        "refine-self": [{ module: "self-refine", detection: "self" }],
        "refine-both": [{ module: "self-refine", detection: "both" }],
        "refine-3": [{ module: "self-refine", maxRounds: 3 }],
      },
    },
  });
});
afterAll(() => h.close());

async function refine(k: number, stream = false) {
  h.up.setHandler(fixesOnRound(k));
  const before = h.up.chatRequests().length;
  let report: any;
  let content = "";
  if (stream) {
    for await (const chunk of await h.client.chat.completions.create({ ...ask("self-refine"), stream: true })) {
      content += chunk.choices[0]?.delta?.content ?? "";
      report = (chunk as any).slopguard ?? report;
    }
  } else {
    const data = await h.client.chat.completions.create(ask("self-refine"));
    content = data.choices[0]!.message.content!;
    report = (data as any).slopguard;
  }
  const requests = h.up.chatRequests().slice(before);
  return { report, content, requests, refine: report.mitigations.find((m: any) => m.module === "self-refine") };
}

describe("self-refine: registry detection", () => {
  for (const k of [1, 2, 3, 4, 5]) {
    it(`stops after round ${k} when the upstream fixes itself on round ${k}`, async () => {
      const { report, content, requests, refine: r } = await refine(k);
      expect(requests).toHaveLength(k + 1);
      expect(r.data.rounds).toBe(k);
      expect(r.data.stopped_by).toBe("clean");
      expect(r.data.best_round).toBe(k);
      expect(content).toBe(codeAnswer(["requests", "numpy"]));
      expect(report).toMatchObject({ verdict: "clean", model_verdict: "hallucination", action: "repaired" });
      // The paper's instruction, naming the fake of the previous answer, after that answer.
      const last = requests[k]!.body.messages;
      expect(last.at(-1)).toEqual({ role: "user", content: `The package ${FAKE(`r${k - 1}`)} does not exist. Rewrite your answer without it.` });
      expect(last.at(-2).content).toBe(codeAnswer(["requests", FAKE(`r${k - 1}`)]));
      expect(r.data.per_round.map((x: any) => x.dropped)).toEqual(Array.from({ length: k }, (_, i) => [FAKE(`r${i}`)]));
      expect(r.data.tokens.totalTokens).toBeGreaterThan(0);
    });
  }

  it("stops at 5 rounds when the upstream never fixes itself and returns the latest of the equally bad answers", async () => {
    const { report, content, requests, refine: r } = await refine(Infinity);
    expect(requests).toHaveLength(6);
    expect(r.data).toMatchObject({ rounds: 5, stopped_by: "limit", best_round: 5, invalid_first: 1, invalid_best: 1 });
    expect(content).toBe(codeAnswer(["requests", FAKE("r5")]));
    expect(report.verdict).toBe("hallucination");
  });

  it("honours a smaller round limit from the profile", async () => {
    h.up.setHandler(fixesOnRound(Infinity));
    const before = h.up.chatRequests().length;
    const data = await h.client.chat.completions.create(ask("refine-3"));
    expect(h.up.chatRequests().length - before).toBe(4);
    expect((data as any).slopguard.mitigations.find((m: any) => m.module === "self-refine").data.rounds).toBe(3);
  });

  it("stream and non-stream reach the same answer and verdict", async () => {
    const a = await refine(2, false);
    const b = await refine(2, true);
    expect(b.content).toBe(a.content);
    expect(b.report.verdict).toBe(a.report.verdict);
    expect(b.refine.data.rounds).toBe(a.refine.data.rounds);
    expect(b.requests.every((r) => r.body.stream === true)).toBe(true);
  });
});

describe("self-refine: self-detection", () => {
  // The model wrongly calls the real `requests` invalid and vouches for the fake.
  const handler = (body: any) => {
    const asked = isDetectQuestion(body);
    if (asked) return { kind: "json" as const, content: asked === "requests" ? "No." : "Yes." };
    return reply(body, roundOf(body) === 0 ? codeAnswer(["requests", FAKE("s")]) : codeAnswer(["numpy", FAKE("s")]));
  };

  it("detection=self trusts the model over the registry, as the paper's self-detection would", async () => {
    h.up.setHandler(handler);
    const before = h.up.chatRequests().length;
    const data = await h.client.chat.completions.create(ask("refine-self"));
    const reqs = h.up.chatRequests().slice(before);
    const questions = reqs.filter((r) => isDetectQuestion(r.body));
    expect(questions.map((r) => r.body.messages.at(-1).content).sort()).toEqual(
      [`Is ${FAKE("s")} a valid Python package?`, "Is requests a valid Python package?", `Is ${FAKE("s")} a valid Python package?`, "Is numpy a valid Python package?"].sort(),
    );
    expect(questions[0]!.body.messages[0]).toEqual({ role: "system", content: "You are a coding assistant. Answer the question with Yes. or No." });
    const regen = reqs.filter((r) => !isDetectQuestion(r.body) && roundOf(r.body) === 1);
    expect(regen[0]!.body.messages.at(-1).content).toBe("The package requests does not exist. Rewrite your answer without it.");
    const r = (data as any).slopguard.mitigations.find((m: any) => m.module === "self-refine");
    expect(r.data.self_detection[0]).toEqual(
      expect.arrayContaining([
        { package: "requests", answer: "no", registry: "exists" },
        { package: FAKE("s"), answer: "yes", registry: "not_found" },
      ]),
    );
    // verify still reports registry truth: the fake the model vouched for is flagged.
    expect((data as any).slopguard.verdict).toBe("hallucination");
  });

  it("detection=both lets the registry decide the names it knows", async () => {
    h.up.setHandler(handler);
    const before = h.up.chatRequests().length;
    await h.client.chat.completions.create(ask("refine-both"));
    const regen = h.up.chatRequests().slice(before).filter((r) => !isDetectQuestion(r.body) && roundOf(r.body) === 1);
    expect(regen[0]!.body.messages.at(-1).content).toBe(`The package ${FAKE("s")} does not exist. Rewrite your answer without it.`);
  });
});

describe("self-refine: client disconnect", () => {
  it("stops further rounds when the client goes away mid-refinement", async () => {
    h.up.setHandler((body: any) => {
      const r = roundOf(body);
      return reply(body, codeAnswer(["requests", FAKE(`d${r}`)]), r >= 1 ? 400 : 0);
    });
    const before = h.up.chatRequests().length;
    const controller = new AbortController();
    const pending = h.client.chat.completions.create(ask("self-refine"), { signal: controller.signal }).catch((e: unknown) => e);
    await h.up.waitForRequests(before + 2);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The round in flight is cancelled upstream and no later round starts.
    await h.up.waitForClientClose(h.up.requests.indexOf(h.up.chatRequests()[before + 1]!));
    await new Promise((r) => setTimeout(r, 700));
    expect(h.up.chatRequests().length - before).toBe(2);
  });
});
