/**
 * Streamable HTTP for the MCP server, as an express router: mounted on the gateway at
 * `/mcp` (behind its API keys and rate limits) and served alone by `slopguard mcp --http`.
 *
 * Stateless (no session id): each POST gets a fresh server and transport, so nothing
 * is kept per client and any replica can answer any request. The tools never send
 * server-initiated messages, so there is no GET stream to offer: GET and DELETE get 405,
 * which the spec lets a client take as "no stream here".
 */
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { Router, type Request, type Response } from "express";
import { createMcpServer, type McpServerDeps } from "./server.js";
import { lookupBudgetOf } from "../server/rate-limit.js";

export const MCP_PATH = "/mcp";

function methodNotAllowed(_req: Request, res: Response): void {
  res.locals.route = MCP_PATH;
  res
    .status(405)
    .set("allow", "POST")
    .json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: this MCP endpoint is stateless; send JSON-RPC requests with POST." }, id: null });
}

export interface McpRouterOptions {
  path?: string;
  /** Largest body the transport reads itself (when no body parser ran before it); the SDK answers 413 above it. */
  maxBodyBytes?: number;
}

export function mcpRouter(deps: Omit<McpServerDeps, "transport">, options: McpRouterOptions = {}): Router {
  const at = options.path ?? MCP_PATH;
  const router = Router();
  router.post(at, async (req, res) => {
    res.locals.route = MCP_PATH;
    const server = createMcpServer({ ...deps, transport: "http", lookupBudget: lookupBudgetOf(res) });
    // JSON answers rather than an SSE stream: every tool call is one request and one result.
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      ...(options.maxBodyBytes ? { maxRequestBodySize: options.maxBodyBytes } : {}),
    });
    res.once("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    // On the gateway express has already parsed the body; alone, the transport reads it (JSON-RPC parse errors).
    await transport.handleRequest(req, res, req.body);
  });
  router.get(at, methodNotAllowed);
  router.delete(at, methodNotAllowed);
  return router;
}
