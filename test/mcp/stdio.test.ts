/**
 * `slopguard mcp` over stdio: the real CLI from the sources, driven by the SDK's own
 * client, as Claude Code / Codex / Qwen Code start it. The search runs on a small
 * fixture index; two more servers show what an agent hears when the index is missing
 * or still being built, and that the build stops when the agent goes away.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFixtureIndex, exerciseCheckPackages, exerciseSearch, ragSection, startStdio, textOf, writeConfig, type StdioServer } from "./setup.js";

let tmp: string;
let server: StdioServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "slopguard-mcp-stdio-"));
  await buildFixtureIndex(tmp);
  const config = writeConfig(tmp, { rag: ragSection(tmp), server: { logLevel: "info" } });
  // --search-wait: the first search may come while the index is still opening on a loaded machine.
  server = await startStdio(["--config", config, "--offline", "--search-wait", "60000"]);
});

afterAll(async () => {
  await server?.client.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Each of these starts its own server, which loads LanceDB and transformers.js: slow on a busy machine. */
const SPAWN_TIMEOUT = 120_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

describe("slopguard mcp over stdio", () => {
  it("names itself and tells the agent when to call it", () => {
    expect(server.client.getServerVersion()).toMatchObject({ name: "slopguard" });
    expect(server.client.getInstructions()).toMatch(/Before you run an install command.*call check_packages/);
  });

  it("lists and calls check_packages: made-up name, real name, bad input", async () => {
    await exerciseCheckPackages(server.client);
  });

  it("lists and calls search_packages on the fixture index", async () => {
    await exerciseSearch(server.client);
  });

  it("keeps stdout for the protocol and logs each call on stderr", () => {
    const lines = server.stderr().split("\n").filter((l) => l.startsWith("{"));
    const calls = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "mcp tool call");
    expect(calls).toContainEqual(expect.objectContaining({ tool: "check_packages", outcome: "hallucination", transport: "stdio" }));
    expect(calls).toContainEqual(expect.objectContaining({ tool: "search_packages", outcome: "ok", transport: "stdio" }));
  });
});

describe("search_packages without a usable index", () => {
  it("says the index is missing and how to build it; check_packages still works", async () => {
    const dir = mkdtempSync(path.join(tmp, "missing-"));
    // A generous wait, so the answer is the open failing rather than the wait running out.
    const s = await startStdio(["--config", writeConfig(dir, { rag: ragSection(dir) }), "--search-wait", "60000"]);
    try {
      const r = await s.client.callTool({ name: "search_packages", arguments: { query: "parse YAML files" } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/^The package index is unavailable: RAG index "statements" at .* is missing or incomplete; run `slopguard rag-index build`/);
      const c = await s.client.callTool({ name: "check_packages", arguments: { packages: ["pyyaml"] } });
      expect(c.structuredContent).toMatchObject({ verdict: "clean" });
    } finally {
      await s.client.close();
    }
  }, SPAWN_TIMEOUT);

  it("answers 'not open yet' at once while the index builds, and the build stops when the agent disconnects", async () => {
    const dir = mkdtempSync(path.join(tmp, "building-"));
    const s = await startStdio(["--config", writeConfig(dir, { rag: ragSection(dir, { autoBuild: true }), server: { logLevel: "info" } }), "--search-wait", "200"]);
    const serverPid = s.transport.pid!;
    let buildPid: number | undefined;
    try {
      const t0 = performance.now();
      const r = await s.client.callTool({ name: "search_packages", arguments: { query: "parse YAML files" } });
      // Loose: the message itself shows it did not wait for the index (the build was still running below).
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/^The package index is not open yet: .*built on the first start.*check_packages works meanwhile/);
      for (const t1 = Date.now(); buildPid === undefined && Date.now() - t1 < 20_000; await new Promise((res) => setTimeout(res, 100))) {
        const m = /"msg":"rag index build started".*?"pid":(\d+)/.exec(s.stderr());
        if (m) buildPid = Number(m[1]);
      }
      expect(buildPid).toBeDefined();
      expect(alive(buildPid!)).toBe(true);
    } finally {
      await s.client.close();
    }
    expect(await gone(serverPid, 10_000)).toBe(true);
    expect(await gone(buildPid!, 10_000)).toBe(true);
  }, SPAWN_TIMEOUT);
});
