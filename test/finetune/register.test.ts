/** `finetune register` edits a real gateway config (a copy of config/default.yaml) and the gateway's loader accepts it. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { registerAdapter } from "../../finetune/register.js";
import { repoRoot } from "../helpers/gateway.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ft-reg-"));
  // Paths in the default config are relative to its folder; keep the same layout one level down.
  copyFileSync(join(repoRoot, "config/default.yaml"), join(dir, "default.yaml"));
  writeFileSync(join(dir, "tuned.gguf"), "not read by register");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("registerAdapter", () => {
  it("adds the adapter to the local model and a profile that selects it, keeping comments", () => {
    const cfg = join(dir, "default.yaml");
    const adaptersBefore = (() => {
      const m = loadConfig({ path: cfg }).models.find((x) => x.name === "testbed");
      return m?.provider === "local" ? m.adapters.length : -1;
    })();
    const r = registerAdapter({ configPath: cfg, model: "testbed", adapterPath: join(dir, "tuned.gguf"), name: "mine", scale: 0.5, profile: "mine-profile" });
    expect(r).toMatchObject({ adapter: { name: "mine", path: "tuned.gguf", scale: 0.5 }, replaced: false });
    const text = readFileSync(cfg, "utf8");
    expect(text).toContain("# The embedded default config");
    const loaded = loadConfig({ path: cfg });
    const model = loaded.models.find((m) => m.name === "testbed");
    expect(model?.provider === "local" && model.adapters).toContainEqual({ name: "mine", path: join(dir, "tuned.gguf"), scale: 0.5 });
    expect(model?.provider === "local" && model.adapters.length).toBe(adaptersBefore + 1);
    expect(loaded.mitigation.profiles["mine-profile"]).toEqual([{ module: "adapter", name: "mine" }]);
    // registering again replaces rather than duplicates
    expect(registerAdapter({ configPath: cfg, model: "testbed", adapterPath: join(dir, "tuned.gguf"), name: "mine", scale: 1, profile: "mine-profile" }).replaced).toBe(true);
    const again = loadConfig({ path: cfg }).models.find((m) => m.name === "testbed");
    expect(again?.provider === "local" && again.adapters.length).toBe(adaptersBefore + 1);
  });

  it("refuses unknown models and missing files without touching the config", () => {
    const cfg = join(dir, "default.yaml");
    const before = readFileSync(cfg, "utf8");
    expect(() => registerAdapter({ configPath: cfg, model: "nope", adapterPath: join(dir, "tuned.gguf"), name: "x", scale: 1, profile: "x" })).toThrow(/no model named 'nope'/);
    expect(() => registerAdapter({ configPath: cfg, model: "testbed", adapterPath: join(dir, "missing.gguf"), name: "x", scale: 1, profile: "x" })).toThrow(/not found/);
    expect(readFileSync(cfg, "utf8")).toBe(before);
  });
});
