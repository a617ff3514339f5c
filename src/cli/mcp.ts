/**
 * `slopguard mcp [--http] [--port n] [--host h] [--config file] [--live|--offline]`:
 * the package checker (and the RAG search) as an MCP server, on stdio for an agent
 * that starts it, or on streamable HTTP. Offline on the snapshot unless a config
 * file or `--live` says otherwise, so a fresh install asks no registry about the
 * names an agent is unsure of. Everything but the protocol goes to stderr.
 */
import type { Command } from "commander";
import { ConfigError, defaultConfigPath, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { lazyChecker, mcpHttpApp, openSearchBackend, serveStdio } from "../mcp/standalone.js";
import { createPackageChecker } from "../packages/index.js";
import { listen } from "../server/http.js";
import { createLogger, type Logger } from "../util/log.js";

interface McpOptions {
  http?: boolean;
  port: string;
  host: string;
  config?: string;
  live?: boolean;
  offline?: boolean;
  watchlist?: string;
  searchWait: string;
}

export function registerMcp(program: Command): void {
  program
    .command("mcp")
    .description("Serve check_packages and search_packages to agents over MCP (stdio by default)")
    .option("--http", "serve streamable HTTP at /mcp instead of stdio")
    .option("-p, --port <port>", "port for --http", "8090")
    .option("-H, --host <host>", "address for --http (loopback addresses also check the Host header)", "127.0.0.1")
    .option("-c, --config <file>", "gateway config whose packages, rag and server.apiKeys sections to use (default: SLOPGUARD_CONFIG, then the embedded config)")
    .option("--live", "ask live registries about names the snapshot does not settle (default: only when a config file says so)")
    .option("--offline", "never ask a registry, even if the config file is in live mode")
    .option("--watchlist <dir>", "LMDB watchlist folder (default: in memory unless the config file sets one)")
    .option("--search-wait <ms>", "how long search_packages waits for an index that is still opening", "3000")
    .action(async (opts: McpOptions) => {
      await runMcp(opts);
    });
}

function parseOptions(opts: McpOptions): { config: Config; explicit: boolean } {
  for (const [flag, value] of [["--port", opts.port], ["--search-wait", opts.searchWait]] as const) {
    if (!/^\d+$/.test(value)) usage(`${flag} must be a whole number, not '${value}'`);
  }
  if (opts.live && opts.offline) usage("--live and --offline exclude each other");
  const explicitPath = opts.config ?? process.env.SLOPGUARD_CONFIG;
  try {
    return { config: loadConfig({ path: explicitPath ?? defaultConfigPath() }), explicit: explicitPath !== undefined };
  } catch (err) {
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
}

function usage(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

export async function runMcp(opts: McpOptions): Promise<void> {
  const { config, explicit } = parseOptions(opts);
  const mode = opts.live ? "live" : opts.offline || !explicit ? "offline" : config.packages.mode;
  // stdout carries the protocol on stdio: logs, and anything a library prints, go to stderr.
  const logger = createLogger({ level: config.server.logLevel, base: { service: "slopguard-mcp" }, write: (l) => void process.stderr.write(l) });
  if (!opts.http) console.log = console.error;
  const checker = lazyChecker(() =>
    createPackageChecker({
      config: { ...config.packages, mode, ...(opts.watchlist ? { watchlistPath: opts.watchlist } : {}) },
      ...(explicit || opts.watchlist ? {} : { watchlist: "memory" as const }),
    }),
  );
  const search = openSearchBackend(config, logger, Number(opts.searchWait));
  const deps = { checker, search, logger, live: mode === "live" };
  const close = async (): Promise<void> => {
    await search?.close();
    await checker.close();
  };
  if (!opts.http) {
    // Signals too: a RAG index build child only stops with us when we exit through close().
    onSignal(async () => void (await close()));
    await serveStdio(deps, checker.warm);
    await close();
    process.exit(0);
  }
  checker.warm();
  await serveHttp({ opts, config, deps, logger, close });
}

function onSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
}

async function serveHttp(args: {
  opts: McpOptions;
  config: Config;
  deps: Parameters<typeof mcpHttpApp>[0]["deps"];
  logger: Logger;
  close: () => Promise<void>;
}): Promise<void> {
  const { opts, config, logger } = args;
  const app = mcpHttpApp({ deps: args.deps, host: opts.host, apiKeys: config.server.apiKeys, bodyLimitBytes: config.server.bodyLimitBytes });
  const server = await listen(app, { host: opts.host, port: Number(opts.port) });
  logger.info("mcp server listening", { url: `${server.url}/mcp`, auth: config.server.apiKeys.length > 0, packages: args.deps.live ? "live" : "offline" });
  if (config.server.apiKeys.length === 0 && !["127.0.0.1", "localhost", "::1"].includes(opts.host)) {
    logger.warn("serving MCP on a non-loopback address without server.apiKeys: anyone who reaches it can use it");
  }
  onSignal(async () => {
    await server.close(1000);
    await args.close();
  });
}
