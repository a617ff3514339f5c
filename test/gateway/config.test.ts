import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultConfigPath, loadConfig } from "../../src/config/load.js";
import { repoRoot } from "../helpers/gateway.js";

const dir = mkdtempSync(path.join(tmpdir(), "slopguard-config-"));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe("config loading", () => {
  it("the embedded default serves the testbed GGUF locally, one thread, no key", () => {
    const c = loadConfig({ path: defaultConfigPath() });
    expect(c.models).toHaveLength(1);
    const m = c.models[0]!;
    expect(m).toMatchObject({ name: "testbed", provider: "local", threads: 1, gpu: false });
    expect(m.model).toBe(path.join(repoRoot, "models/testbed/pkg-halluc-testbed-f16.gguf"));
    expect(c.server.apiKeys).toEqual([]);
  });

  it("slopguard.example.yaml is valid and documents every provider", () => {
    const c = loadConfig({ path: path.join(repoRoot, "slopguard.example.yaml"), env: { OPENAI_API_KEY: "sk-x" } });
    expect(c.models.map((m) => m.provider)).toEqual(["local", "openai-compatible", "anthropic"]);
    expect(c.server.apiKeys).toEqual(["change-me"]);
  });

  it("interpolates ${ENV} and ${ENV:-fallback}", () => {
    const file = write(
      "env.yaml",
      "server:\n  apiKeys: ['${GW_KEY}']\nmodels:\n  - name: a\n    provider: openai-compatible\n    model: m\n    baseURL: ${BASE:-http://127.0.0.1:9/v1}\n    apiKey: ${UP_KEY}\n",
    );
    const c = loadConfig({ path: file, env: { GW_KEY: "k1", UP_KEY: "secret" } });
    expect(c.server.apiKeys).toEqual(["k1"]);
    expect(c.models[0]).toMatchObject({ baseURL: "http://127.0.0.1:9/v1", apiKey: "secret" });
    expect(() => loadConfig({ path: file, env: { GW_KEY: "k1" } })).toThrow(/models\[0\]\.apiKey: environment variable UP_KEY is not set/);
  });

  it("names the key and the problem when the config is invalid", () => {
    const bad = write("bad.yaml", "server:\n  port: 99999\nmodels:\n  - name: a\n    provider: openai-compatible\n    model: m\n    baseURL: not-a-url\n");
    let message = "";
    try {
      loadConfig({ path: bad });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain("server.port");
    expect(message).toContain("models[0].baseURL");
    const unknownKey = write("unknown.yaml", "models:\n  - name: a\n    provider: local\n    model: x.gguf\n    thread: 2\n");
    expect(() => loadConfig({ path: unknownKey })).toThrow(/models\[0\].*thread/);
    const noModels = write("none.yaml", "server: {}\n");
    expect(() => loadConfig({ path: noModels })).toThrow(/models/);
    expect(() => loadConfig({ path: write("yaml.yaml", "models: [\n") })).toThrow(/not valid YAML/);
  });

  it("accepts JSON and resolves local paths against the file's folder", () => {
    const file = write("c.json", JSON.stringify({ models: [{ name: "t", provider: "local", model: "m.gguf", adapters: [{ name: "l", path: "a/l.gguf" }] }] }));
    const m = loadConfig({ path: file }).models[0]!;
    expect(m.model).toBe(path.join(dir, "m.gguf"));
    expect(m.provider === "local" && m.adapters[0]!.path).toBe(path.join(dir, "a/l.gguf"));
  });
});
