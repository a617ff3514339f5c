import { describe, expect, it } from "vitest";
import { MitigationConfigSchema } from "../../src/mitigation/config.js";
import { createMitigationPipeline, ProfileError } from "../../src/mitigation/index.js";
import { ModelConfigSchema } from "../../src/config/schema.js";
import { makeChecker } from "./checker.js";

const model = (extra: Record<string, unknown> = {}) =>
  ModelConfigSchema.parse({ name: "m", provider: "openai-compatible", model: "x", baseURL: "http://127.0.0.1:9/v1", ...extra });

describe("mitigation config", () => {
  it("rejects unknown modules, options and template keys, and round limits outside 1–5", () => {
    expect(MitigationConfigSchema.safeParse({ profiles: { p: ["nope"] } }).success).toBe(false);
    expect(MitigationConfigSchema.safeParse({ profiles: { p: [{ module: "rag", kk: 3 }] } }).success).toBe(false);
    expect(MitigationConfigSchema.safeParse({ templates: { "rag.blok": "x" } }).success).toBe(false);
    expect(MitigationConfigSchema.safeParse({ selfRefine: { maxRounds: 6 } }).success).toBe(false);
    expect(MitigationConfigSchema.safeParse({ profiles: { p: [{ module: "self-refine", maxRounds: 0 }] } }).success).toBe(false);
    expect(MitigationConfigSchema.parse({ profiles: { p: ["rag", { module: "verify", policy: "block" }] } }).profiles.p).toEqual([
      { module: "rag" },
      { module: "verify", policy: "block" },
    ]);
  });

  it("fails at startup on a model's unknown profile or template key", async () => {
    const checker = await makeChecker();
    expect(() => createMitigationPipeline({ checker, models: [model({ profile: "nope" })] })).toThrow(/unknown mitigation profile 'nope'/);
    expect(() => createMitigationPipeline({ checker, models: [model({ templates: { "rag.blok": "x" } })] })).toThrow(/unknown template keys rag\.blok/);
  });

  it("puts verify first, keeps profile order, and adds self-refine for repair", async () => {
    const checker = await makeChecker();
    const p = createMitigationPipeline({ checker, config: MitigationConfigSchema.parse({ profiles: { x: ["self-refine", "rag", "verify"] } }) });
    expect(p.forRequest({ model: model(), profile: "x" }).map((m) => m.name)).toEqual(["verify", "self-refine", "rag"]);
    expect(p.forRequest({ model: model(), profile: "repair" }).map((m) => m.name)).toEqual(["verify", "self-refine"]);
    expect(p.forRequest({ model: model(), profile: "safe" }).map((m) => m.name)).toEqual(["verify", "temperature-clamp", "self-refine"]);
  });

  it("resolves header before suffix before the model's profile, and can forbid request choice", async () => {
    const checker = await makeChecker();
    const p = createMitigationPipeline({ checker });
    expect(p.resolveProfile({ model: model(), header: "strict", suffix: "rag" })).toBe("strict");
    expect(p.resolveProfile({ model: model(), suffix: "rag" })).toBe("rag");
    expect(p.resolveProfile({ model: model({ profile: "ensemble" }) })).toBe("ensemble");
    expect(() => p.resolveProfile({ model: model(), header: "nope" })).toThrow(ProfileError);
    const locked = createMitigationPipeline({ checker, config: MitigationConfigSchema.parse({ allowRequestProfile: false }) });
    expect(() => locked.resolveProfile({ model: model(), header: "rag" })).toThrow(/does not let requests choose/);
    expect(locked.resolveProfile({ model: model() })).toBe("default");
  });
});
