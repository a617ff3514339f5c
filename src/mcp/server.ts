/**
 * The slopguard MCP server: `check_packages` and, when a RAG index is configured,
 * `search_packages`. One factory for every transport: stdio (`slopguard mcp`),
 * streamable HTTP (`slopguard mcp --http`) and the gateway's `/mcp`, which builds a
 * server per request (stateless) because building one only registers two tools.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { mcpMetrics, type McpTool, type McpTransport } from "../metrics/mcp.js";
import type { PackageChecker } from "../packages/types.js";
import type { Logger } from "../util/log.js";
import { projectRoot } from "../util/paths.js";
import { CHECK_DESCRIPTION, CheckPackagesInputSchema, CheckPackagesOutputSchema, checkPackages, type ToolAnswer } from "./check-tool.js";
import { SEARCH_DESCRIPTION, SearchPackagesInputSchema, SearchPackagesOutputSchema, searchPackages, type SearchBackend } from "./search-tool.js";
import type { LookupBudget } from "../packages/lookup-budget.js";

export interface McpServerDeps {
  checker: PackageChecker;
  /** Absent when `rag.enabled` is false: the server then lists no search tool. */
  search?: SearchBackend | undefined;
  transport: McpTransport;
  logger?: Logger | undefined;
  /** Whether the checker may ask live registries (the tool is then not closed-world). */
  live?: boolean;
  /** On the gateway's `/mcp`: the calling API key's budget of live registry lookups. */
  lookupBudget?: LookupBudget | undefined;
}

const INSTRUCTIONS =
  "slopguard catches hallucinated and risky packages. Before you run an install command, add a dependency to a manifest, " +
  "or write an import of a third-party package, call check_packages with that command, manifest or code. " +
  "Do not install a package it marks do_not_install; use its suggestion, or search_packages to find a real package for the task.";

let version: string | undefined;
function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(projectRoot(), "package.json"), "utf8")) as { version: string }).version;
  return version;
}

/** Counts, times and logs a call; an exception still counts (as error) and reaches the SDK, which answers isError. */
async function instrumented(tool: McpTool, deps: McpServerDeps, run: () => Promise<ToolAnswer>): Promise<CallToolResult> {
  const t0 = performance.now();
  let outcome: ToolAnswer["outcome"] = "error";
  try {
    const answer = await run();
    outcome = answer.outcome;
    return answer.result;
  } catch (err) {
    deps.logger?.warn("mcp tool failed", { tool, err });
    throw err;
  } finally {
    const seconds = (performance.now() - t0) / 1000;
    mcpMetrics.toolCalls.inc({ tool, outcome, transport: deps.transport });
    mcpMetrics.toolDuration.observe({ tool }, seconds);
    deps.logger?.info("mcp tool call", { tool, outcome, transport: deps.transport, durationMs: Math.round(seconds * 1e4) / 10 });
  }
}

export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer({ name: "slopguard", version: packageVersion() }, { instructions: INSTRUCTIONS });
  server.registerTool(
    "check_packages",
    {
      title: "Check packages before installing",
      description: CHECK_DESCRIPTION,
      inputSchema: CheckPackagesInputSchema,
      outputSchema: CheckPackagesOutputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: deps.live ?? false },
    },
    (args, extra) => instrumented("check_packages", deps, () => checkPackages(deps.checker, args, { signal: extra.signal, lookupBudget: deps.lookupBudget })),
  );
  const search = deps.search;
  if (search) {
    server.registerTool(
      "search_packages",
      {
        title: "Find real packages for a task",
        description: SEARCH_DESCRIPTION,
        inputSchema: SearchPackagesInputSchema,
        outputSchema: SearchPackagesOutputSchema,
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      (args) => instrumented("search_packages", deps, () => searchPackages(search, args)),
    );
  }
  return server;
}
