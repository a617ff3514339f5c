/**
 * The MCP server over streamable HTTP, with the SDK's own client: mounted on the
 * gateway at /mcp (behind its API keys, counted in /metrics), and served alone by
 * `slopguard mcp --http` (the real CLI, with its DNS-rebinding Host check).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRetriever, type RagRetriever } from "../../src/rag/index.js";
import { repoRoot, startGateway, type TestGateway } from "../helpers/gateway.js";
import { buildFixtureIndex, exerciseCheckPackages, exerciseSearch, ragSection, writeConfig } from "./setup.js";

const KEY = "sk-gateway-key-for-mcp-tests";
let tmp: string;
let retriever: RagRetriever;
let gw: TestGateway;

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "slopguard-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
};
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "slopguard-mcp-http-"));
  const rag = await buildFixtureIndex(tmp);
  retriever = createRetriever(rag);
  await retriever.whenReady();
  gw = await startGateway({
    config: {
      models: [{ name: "up", provider: "openai-compatible", model: "m", baseURL: "http://127.0.0.1:9/v1", apiKey: "sk-unused" }],
      server: { apiKeys: [KEY] },
      packages: { mode: "offline" },
    },
    services: { retriever },
  });
});

afterAll(async () => {
  await gw?.close();
  await retriever?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("/mcp on the gateway", () => {
  it("refuses a client without the gateway's API key", async () => {
    const res = await fetch(`${gw.url}/mcp`, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INIT) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    await expect(connect(`${gw.url}/mcp`)).rejects.toThrow();
  });

  it("lists and calls both tools with the key", async () => {
    const client = await connect(`${gw.url}/mcp`, { authorization: `Bearer ${KEY}` });
    try {
      await exerciseCheckPackages(client);
      await exerciseSearch(client);
    } finally {
      await client.close();
    }
  });

  it("answers JSON-RPC errors for what is not a tool call", async () => {
    const auth = { ...MCP_HEADERS, authorization: `Bearer ${KEY}` };
    const get = await fetch(`${gw.url}/mcp`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const notJsonRpc = await fetch(`${gw.url}/mcp`, { method: "POST", headers: auth, body: JSON.stringify({ hello: "world" }) });
    expect(notJsonRpc.status).toBe(400);
    expect(((await notJsonRpc.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const unknownMethod = await fetch(`${gw.url}/mcp`, {
      method: "POST",
      headers: { ...auth, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/destroy", params: {} }),
    });
    expect(await unknownMethod.json()).toMatchObject({ jsonrpc: "2.0", id: 7, error: { code: -32601 } });
  });

  it("counts tool calls in /metrics with bounded labels", async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/slopguard_mcp_tool_calls_total\{tool="check_packages",outcome="hallucination",transport="http"\} [1-9]/);
    expect(text).toMatch(/slopguard_mcp_tool_calls_total\{tool="search_packages",outcome="ok",transport="http"\} [1-9]/);
    expect(text).toMatch(/slopguard_requests_total\{model="",route="\/mcp",status="200"\} [1-9]/);
  });
});

describe("slopguard mcp --http", () => {
  let child: ChildProcess;
  let url: string;
  let stderr = "";

  beforeAll(async () => {
    const config = writeConfig(tmp, { rag: ragSection(tmp), server: { apiKeys: [KEY] } });
    // --search-wait: the first search may come while the index is still opening on a loaded machine.
    child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "src", "cli.ts"), "mcp", "--http", "--port", "0", "--config", config, "--search-wait", "60000"], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    url = await new Promise<string>((resolve, reject) => {
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        const m = /"msg":"mcp server listening".*?"url":"([^"]+)"/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`slopguard mcp --http exited with ${code}: ${stderr}`)));
    });
  });

  afterAll(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("serves both tools at /mcp, behind the config's API keys", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect((await fetch(url, { method: "POST", headers: MCP_HEADERS, body: JSON.stringify(INIT) })).status).toBe(401);
    const client = await connect(url, { authorization: `Bearer ${KEY}` });
    try {
      await exerciseCheckPackages(client);
      await exerciseSearch(client);
    } finally {
      await client.close();
    }
  }, 120_000); // the first search waits for the server to load LanceDB and transformers.js

  it("refuses a foreign Host header on a loopback address (DNS rebinding)", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: "POST", headers: { ...MCP_HEADERS, host: "attacker.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once("error", reject);
      req.end(JSON.stringify(INIT));
    });
    expect(status).toBe(403);
  });

  it("answers malformed JSON with a JSON-RPC parse error", async () => {
    const res = await fetch(url, { method: "POST", headers: { ...MCP_HEADERS, authorization: `Bearer ${KEY}` }, body: '{"jsonrpc":"2.0",' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 }, id: null });
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
