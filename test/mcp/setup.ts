/**
 * Shared by the MCP tests: a small LanceDB index built on disk from R's fixture slice
 * (~700 packages, a few seconds), a config file for the real CLI, the real CLI
 * started over stdio with the SDK's own client, and the checks every transport must pass.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { expect } from "vitest";
import { stringify } from "yaml";
import { buildIndex } from "../../src/rag/build.js";
import { loadEmbedder, RagConfigSchema, type RagConfig } from "../../src/rag/index.js";
import { repoRoot, testbedModel } from "../helpers/gateway.js";

export const fixtureData = path.join(repoRoot, "test", "rag", "fixtures", "data");
export const embedderDir = path.join(repoRoot, "models", "embedder");

/** The `rag` config section of an index at `dir` (not built; autoBuild off unless asked). */
export function ragSection(dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { indexUri: path.join(dir, "index"), dataDir: fixtureData, embedder: { model: embedderDir, batchSize: 64 }, autoBuild: false, ...overrides };
}

export async function buildFixtureIndex(dir: string): Promise<RagConfig> {
  const config = RagConfigSchema.parse(ragSection(dir));
  await buildIndex({ config, embedder: await loadEmbedder(config.embedder) });
  return config;
}

/**
 * A gateway config file as `slopguard mcp --config` reads it (the model is never loaded
 * by `mcp`). The watchlist goes to `dir`: a config file turns the on-disk one on.
 */
export function writeConfig(dir: string, sections: Record<string, unknown>): string {
  const id = Math.random().toString(36).slice(2);
  const file = path.join(dir, `slopguard-${id}.yaml`);
  const packages = { watchlistPath: path.join(dir, `watchlist-${id}`), ...(sections.packages as object | undefined) };
  writeFileSync(file, stringify({ models: [testbedModel()], ...sections, packages }));
  return file;
}

export interface StdioServer {
  client: Client;
  transport: StdioClientTransport;
  /** What the server wrote to stderr so far (logs). */
  stderr(): string;
}

/** `slopguard mcp <args>` from the sources, as an agent host starts it. */
export async function startStdio(args: string[]): Promise<StdioServer> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", path.join(repoRoot, "src", "cli.ts"), "mcp", ...args],
    cwd: repoRoot,
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => void (err += d.toString()));
  const client = new Client({ name: "slopguard-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, stderr: () => err };
}

type ToolResult = Awaited<ReturnType<Client["callTool"]>>;

export function textOf(result: ToolResult): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content.map((c) => c.text ?? "").join("\n");
}

/** The checks every transport must pass: both tools listed, a made-up name, a real one, bad input. */
export async function exerciseCheckPackages(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  const check = tools.find((t) => t.name === "check_packages");
  expect(check?.description).toMatch(/BEFORE you install/);
  expect(check?.annotations?.readOnlyHint).toBe(true);
  expect(Object.keys(check!.inputSchema.properties ?? {})).toEqual(
    expect.arrayContaining(["packages", "command", "manifest", "filename", "code", "text", "ecosystem", "language"]),
  );
  expect(check?.outputSchema?.properties).toHaveProperty("packages");

  // The client validates structuredContent against the listed outputSchema (ajv) before returning.
  const made = await client.callTool({ name: "check_packages", arguments: { command: "pip install python-yaml requests" } });
  expect(made.isError).toBeFalsy();
  const out = made.structuredContent as { verdict: string; totals: Record<string, number>; packages: Array<Record<string, unknown>> };
  expect(out.verdict).toBe("hallucination");
  expect(out.totals).toEqual({ packages: 2, exists: 1, not_found: 1, unknown: 0, risky: 0 });
  expect(out.packages[0]).toMatchObject({ name: "python-yaml", verdict: "not_found", advice: "do_not_install", suggestion: "pyyaml", source: "install", line: 1 });
  expect(out.packages[1]).toMatchObject({ name: "requests", verdict: "exists", advice: "ok", risk: "none" });
  expect(textOf(made)).toContain("python-yaml (pypi, install line 1): NOT FOUND on pypi. Do not install it. Did you mean 'pyyaml'?");

  const real = await client.callTool({ name: "check_packages", arguments: { packages: ["express"], ecosystem: "npm" } });
  expect(real.structuredContent).toMatchObject({ verdict: "clean", packages: [{ name: "express", ecosystem: "npm", verdict: "exists", advice: "ok" }] });

  const bad = await client.callTool({ name: "check_packages", arguments: { command: "pip install x", packages: ["x"] } });
  expect(bad.isError).toBe(true);
  expect(textOf(bad)).toMatch(/Input validation error.*give exactly one of packages, command, manifest, code, text \(got packages and command\)/);
  const wrongType = await client.callTool({ name: "check_packages", arguments: { packages: "requests" } });
  expect(wrongType.isError).toBe(true);
  expect(textOf(wrongType)).toMatch(/Input validation error.*packages/);
}

/** search_packages on the fixture index: a YAML task finds a YAML parser among real packages. */
export async function exerciseSearch(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toContain("search_packages");
  const r = await client.callTool({ name: "search_packages", arguments: { query: "parse YAML files", ecosystem: "pypi", k: 3 } });
  expect(r.isError).toBeFalsy();
  const out = r.structuredContent as { query: string; results: Array<{ package: string; ecosystem: string; statement: string }> };
  expect(out.results).toHaveLength(3);
  for (const hit of out.results) {
    expect(hit.ecosystem).toBe("pypi");
    expect(hit.statement).toMatch(new RegExp(`^Package ${hit.package.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} could answer questions about `));
  }
  expect(out.results.some((h) => /yaml/i.test(h.package))).toBe(true);
  expect(textOf(r)).toMatch(/^Top 3 pypi packages for "parse YAML files":\n1\. /);
  const badK = await client.callTool({ name: "search_packages", arguments: { query: "yaml", k: 500 } });
  expect(badK.isError).toBe(true);
  expect(textOf(badK)).toMatch(/Input validation error.*k/);
}
