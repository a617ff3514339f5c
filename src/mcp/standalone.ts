/**
 * What `slopguard mcp` runs outside the gateway: the search backend opened in the
 * background, the stdio loop, and a small express app for `--http`.
 */
import express, { type Express } from "express";
import { localhostHostValidation } from "@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Config } from "../config/schema.js";
import type { PackageChecker, SlopguardPackageChecker } from "../packages/index.js";
import type { RetrieveInput, RetrievedStatement, Retriever } from "../rag/types.js";
import { bearerAuth } from "../server/auth.js";
import { errorHandler, notFoundHandler } from "../server/errors.js";
import type { LazyRetriever } from "../server/services.js";
import type { Logger } from "../util/log.js";
import { mcpRouter } from "./http.js";
import type { SearchBackend } from "./search-tool.js";
import { createMcpServer, type McpServerDeps } from "./server.js";

/**
 * A retriever whose module is imported after the server is up: LanceDB and
 * transformers.js take seconds to load, and MCP hosts give a starting server only
 * ~10 s to answer `initialize`. Until then it is simply not ready.
 */
class DeferredRetriever implements Retriever {
  private inner: LazyRetriever | undefined;
  private readonly loading: Promise<LazyRetriever>;

  constructor(load: () => Promise<LazyRetriever>) {
    this.loading = load().then((r) => (this.inner = r));
    this.loading.catch(() => undefined);
  }

  ready(): boolean {
    return this.inner?.ready() ?? false;
  }

  status(): { ready: boolean; error?: string } {
    return this.inner?.status() ?? { ready: false };
  }

  async retrieve(input: RetrieveInput): Promise<RetrievedStatement[]> {
    return (await this.loading).retrieve(input);
  }

  async close(): Promise<void> {
    await (await this.loading.catch(() => undefined))?.close();
  }
}

/** The search backend of `config.rag`, or undefined when RAG is disabled there. */
export function openSearchBackend(config: Config, logger: Logger, waitMs: number): (SearchBackend & { close(): Promise<void> }) | undefined {
  if (!config.rag.enabled) return undefined;
  const retriever = new DeferredRetriever(async () => {
    const { buildRetriever } = await import("../server/services.js");
    return buildRetriever(config, logger)!;
  });
  return { retriever, status: () => retriever.status(), waitMs, close: () => retriever.close() };
}

export interface LazyChecker extends PackageChecker {
  /** Loads the snapshot now (it is otherwise loaded by the first check). */
  warm(): void;
  close(): Promise<void>;
}

/**
 * The checker, built on first use: loading the snapshot blocks for ~0.5 s (seconds on a
 * busy machine), which should not delay the `initialize` answer a host is waiting for.
 */
export function lazyChecker(make: () => SlopguardPackageChecker): LazyChecker {
  let built: SlopguardPackageChecker | undefined;
  const get = (): SlopguardPackageChecker => (built ??= make());
  return {
    check: (input, options) => get().check(input, options),
    warm: () => void get(),
    close: async () => built?.close(),
  };
}

/** Serves one client on stdin/stdout until stdin ends; resolves then. `onInitialized` runs after the handshake. */
export async function serveStdio(deps: Omit<McpServerDeps, "transport">, onInitialized?: () => void): Promise<void> {
  const server = createMcpServer({ ...deps, transport: "stdio" });
  if (onInitialized) server.server.oninitialized = () => setImmediate(onInitialized);
  const transport = new StdioServerTransport();
  const ended = new Promise<void>((resolve) => {
    // The SDK's stdio transport does not watch for end of input; a host that closes our stdin is done with us.
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  deps.logger?.info("mcp server ready", { transport: "stdio", tools: deps.search ? ["check_packages", "search_packages"] : ["check_packages"] });
  await ended;
  await server.close().catch(() => undefined);
}

export interface HttpAppOptions {
  deps: Omit<McpServerDeps, "transport">;
  /** The address it binds: a loopback one turns on Host-header checks against DNS rebinding. */
  host: string;
  apiKeys: readonly string[];
  bodyLimitBytes: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export function mcpHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  const logger = options.deps.logger;
  app.use((_req, res, next) => {
    res.locals.logger = logger; // errorHandler logs internal errors through it
    next();
  });
  // A web page can make a browser reach a loopback port under its own host name; refuse foreign Host headers.
  if (LOOPBACK.has(options.host)) app.use(localhostHostValidation());
  app.use(bearerAuth(options.apiKeys));
  // No body parser: the SDK reads the body, so malformed JSON gets a JSON-RPC parse error (-32700).
  app.use(mcpRouter(options.deps, { maxBodyBytes: options.bodyLimitBytes }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
