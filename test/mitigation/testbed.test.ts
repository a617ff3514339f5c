/**
 * One real end-to-end path: the gateway in front of the testbed GGUF (node-llama-cpp,
 * threads: 1, greedy) with P's checker. The held-out prompt below makes the model
 * invent `django-data-backup`; one round of the paper's refinement fixes it.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { repoRoot, startGateway, testbedModel, type TestGateway } from "../helpers/gateway.js";
import { makeChecker } from "./checker.js";

/** F's fine-tuned LoRA for the testbed (models/adapters/PROVENANCE.md). */
const LORA = path.join(repoRoot, "models/adapters/testbed-finetuned.gguf");
const SYSTEM = "You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use.";
// heldout_pypi #3 (package django-read-only) from data/eval/testbed.
const PROMPT = "Generate Python code that disables Django database writes";

let gw: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  gw = await startGateway({
    config: {
      models: [testbedModel({ defaults: { temperature: 0, max_tokens: 200 }, adapters: [{ name: "ft", path: LORA }] })],
    },
    services: { packageChecker: await makeChecker(), retriever: undefined },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 });
}, 60_000);
afterAll(() => gw?.close());

const ask = (profile: string) => ({ model: `testbed:${profile}`, messages: [{ role: "system" as const, content: SYSTEM }, { role: "user" as const, content: PROMPT }] });

describe("testbed model end to end", () => {
  it("annotate flags the invented package, streamed and not", async () => {
    const json: any = await client.chat.completions.create(ask("default"));
    expect(json.slopguard.verdict).toBe("hallucination");
    expect(json.slopguard.packages).toEqual(expect.arrayContaining([expect.objectContaining({ name: "django-data-backup", verdict: "not_found" })]));
    let content = "";
    let report: any;
    for await (const c of await client.chat.completions.create({ ...ask("default"), stream: true })) {
      content += c.choices[0]?.delta?.content ?? "";
      report = (c as any).slopguard ?? report;
    }
    expect(content).toBe(json.choices[0].message.content);
    expect(report.verdict).toBe("hallucination");
  });

  it("repair regenerates with the paper's instruction until clean, the same way for stream and non-stream", async () => {
    const json: any = await client.chat.completions.create(ask("repair"));
    expect(json.slopguard).toMatchObject({ model_verdict: "hallucination", verdict: "clean", action: "repaired" });
    const refine = json.slopguard.mitigations.find((m: any) => m.module === "self-refine");
    expect(refine.data.per_round[0]).toMatchObject({ round: 1, named: ["django-data-backup"], dropped: ["django-data-backup"] });
    expect(json.choices[0].message.content).not.toContain("django-data-backup");
    let content = "";
    let report: any;
    for await (const c of await client.chat.completions.create({ ...ask("repair"), stream: true })) {
      content += c.choices[0]?.delta?.content ?? "";
      report = (c as any).slopguard ?? report;
    }
    expect(content).toBe(json.choices[0].message.content);
    expect(report.verdict).toBe("clean");
  });

  it("the finetuned profile runs the model with the LoRA adapter loaded", async () => {
    const json: any = await client.chat.completions.create(ask("finetuned"));
    const rec = json.slopguard.mitigations.find((m: any) => m.module === "adapter");
    expect(rec).toMatchObject({ verdict: "modified", data: { adapter: "ft" } });
    const base: any = await client.chat.completions.create(ask("default"));
    // Same greedy prompt, different weights: the adapter really changed the generation.
    expect(json.choices[0].message.content).not.toBe(base.choices[0].message.content);
  });
});
