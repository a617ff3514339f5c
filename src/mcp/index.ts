/**
 * Public entry of the MCP part: the server factory, the HTTP router, and the
 * gateway's `/mcp` mount (src/server/bootstrap.ts adds it to the app's routers).
 */
import type { Router } from "express";
import type { Config } from "../config/schema.js";
import type { PackageChecker } from "../packages/types.js";
import type { Retriever } from "../rag/types.js";
import type { Logger } from "../util/log.js";
import { mcpRouter } from "./http.js";
import type { SearchBackend } from "./search-tool.js";

export { createMcpServer, type McpServerDeps } from "./server.js";
export { mcpRouter, MCP_PATH } from "./http.js";
export { CheckPackagesInputSchema, CheckPackagesOutputSchema } from "./check-tool.js";
export { SearchPackagesInputSchema, SearchPackagesOutputSchema, type SearchBackend } from "./search-tool.js";

/** A gateway request should not sit on an index that is still opening: the tool says so instead. */
const GATEWAY_SEARCH_WAIT_MS = 2000;

function searchBackend(retriever: Retriever): SearchBackend {
  const status = (retriever as Partial<{ status(): { ready: boolean; error?: string } }>).status;
  return { retriever, waitMs: GATEWAY_SEARCH_WAIT_MS, ...(status ? { status: () => status.call(retriever) } : {}) };
}

/** `/mcp` on the gateway, behind its API keys and rate limits; none without a package checker. */
export function gatewayMcpRouters(s: { config: Config; checker: PackageChecker | undefined; retriever: Retriever | undefined; logger: Logger }): Router[] {
  if (!s.checker) return [];
  const search = s.retriever ? searchBackend(s.retriever) : undefined;
  return [mcpRouter({ checker: s.checker, search, logger: s.logger, live: s.config.packages.mode === "live" })];
}
