/**
 * Metrics of the MCP server (`slopguard mcp` and the gateway's `/mcp`), on the one
 * process registry so `/metrics` shows them beside the gateway's. Every label takes
 * a value from a fixed set (see McpOutcome), never from client input.
 */
import { Counter, Histogram } from "prom-client";
import { registry } from "./index.js";

export type McpTool = "check_packages" | "search_packages";
/** A check's verdict (clean / hallucination / risk), `ok` for a search, or why the call failed. */
export type McpOutcome = "clean" | "hallucination" | "risk" | "ok" | "unavailable" | "error";
export type McpTransport = "stdio" | "http";

export const mcpMetrics = {
  toolCalls: new Counter({
    name: "slopguard_mcp_tool_calls_total",
    help: "MCP tool calls answered, by tool, outcome (clean, hallucination, risk, ok, unavailable, error) and transport",
    labelNames: ["tool", "outcome", "transport"] as const,
    registers: [registry],
  }),
  toolDuration: new Histogram({
    name: "slopguard_mcp_tool_duration_seconds",
    help: "Time to answer an MCP tool call, from validated arguments to result",
    labelNames: ["tool"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
};
