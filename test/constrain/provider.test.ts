/**
 * The local provider's side of the contract, on the testbed GGUF: `call.constrain` in, the
 * report out as the answer's `metadata.constrain` (the finish part's in a stream), carried
 * by the core's stream helpers; nothing when the call asks for no constraining.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { LocalModelConfig } from "../../src/config/schema.js";
import type { ModelCall, StreamPart } from "../../src/core/parts.js";
import { collectStream, replayGeneration } from "../../src/core/stream.js";
import { ConstrainReportSchema, emptyReport, REPORT_KEY, reportIn } from "../../src/mitigation/constrain/request.js";
import { LocalProvider } from "../../src/providers/local/index.js";
import { repoRoot, testbedModel } from "../helpers/gateway.js";
import { request } from "./helpers.js";

const text = (t: string) => [{ type: "text" as const, text: t }];
const call: ModelCall = {
  prompt: [
    { role: "system", content: text("You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use.") },
    { role: "user", content: text("Generate Python code that disables Django database writes") },
  ],
  temperature: 0,
  maxOutputTokens: 80,
};
const constrained: ModelCall = { ...call, constrain: request({ ecosystem: "pypi" }) };
const options = () => ({ signal: new AbortController().signal, requestId: "test" });

let provider: LocalProvider;
beforeAll(async () => {
  const config = parseConfig({ models: [testbedModel()], rag: { enabled: false } }, { baseDir: repoRoot, source: "test" });
  provider = new LocalProvider(config.models[0] as LocalModelConfig);
  await provider.init();
}, 60_000);
afterAll(() => provider?.close());

describe("the local provider and call.constrain", () => {
  it("says it can constrain", () => {
    expect(provider.capabilities.constrain).toBe(true);
  });

  it("returns the generation's report in the answer's metadata, and in the stream's finish part", async () => {
    const g = await provider.generate(constrained, options());
    const report = ConstrainReportSchema.parse(g.metadata?.[REPORT_KEY]);
    expect(report).toMatchObject({ strategy: "resample", leaks: 0 });
    expect(report.resamples).toBeGreaterThan(0);
    // Unconstrained, the testbed installs django-data-backup here (test/constrain/gateway.test.ts).
    expect(report.names.length).toBeGreaterThan(0);
    expect(report.names).not.toContain("django-data-backup");

    const parts: StreamPart[] = [];
    for await (const p of provider.stream(constrained, options())) parts.push(p);
    const finish = parts.at(-1);
    if (finish?.type !== "finish") throw new Error(`the stream ended with ${finish?.type}`);
    expect({ ...ConstrainReportSchema.parse(finish.metadata?.[REPORT_KEY]), ms: 0 }).toEqual({ ...report, ms: 0 });
  });

  it("keeps the metadata when an answer is replayed as a stream and collected again", async () => {
    const g = await provider.generate(constrained, options());
    const { generation } = await collectStream((async function* () {
      yield* replayGeneration(g);
    })());
    expect(generation.metadata).toEqual(g.metadata);
    expect(generation.content).toEqual(g.content);
  });

  it("adds no metadata to a call that asks for no constraining", async () => {
    const g = await provider.generate(call, options());
    expect(g.metadata).toBeUndefined();
  });

  it("refuses logit_bias beside constraining before it takes a sequence", async () => {
    const biased: ModelCall = { ...constrained, native: { api: "chat", extra: { logit_bias: { "100": -100 } } } };
    await expect(collectStream(provider.stream(biased, options()))).rejects.toMatchObject({ status: 400, code: "invalid_logit_bias" });
    // The only sequence is free again.
    expect((await provider.generate(constrained, options())).finishReason).toBeDefined();
  });
});

describe("reading the report back (the mitigation's side)", () => {
  it("parses a report, and says what is wrong with a missing or malformed one", () => {
    const report = { ...emptyReport("always"), tokens: 3, names: ["requests"] };
    expect(reportIn({ [REPORT_KEY]: report })).toEqual({ report });
    expect(reportIn(undefined)).toEqual({ error: "the provider returned no constrained-decoding report" });
    expect(reportIn({ [REPORT_KEY]: { ...report, tokens: -1 } })).toMatchObject({ error: expect.stringContaining("malformed") });
  });
});
