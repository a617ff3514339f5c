/**
 * `slopguard serve [--config file] [--port n] [--host h]`: loads the config (the
 * embedded default when none is given), builds the gateway and serves it until
 * SIGTERM/SIGINT, which drains in-flight requests for `server.shutdownGraceSeconds`.
 */
import type { Command } from "commander";
import { ConfigError, defaultConfigPath, loadConfig } from "../config/load.js";
import { buildGateway } from "../server/bootstrap.js";
import { listen } from "../server/http.js";
import { createLogger } from "../util/log.js";
import { configSecrets } from "../server/secrets.js";

interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("Start the OpenAI-compatible gateway")
    .option("-c, --config <file>", "YAML or JSON config file (default: the embedded config/default.yaml)")
    .option("-p, --port <port>", "override server.port")
    .option("-H, --host <host>", "override server.host")
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

export async function serve(opts: ServeOptions): Promise<void> {
  const t0 = performance.now();
  let config;
  try {
    config = loadConfig({ path: opts.config ?? process.env.SLOPGUARD_CONFIG ?? defaultConfigPath() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (opts.port !== undefined) config.server.port = Number(opts.port);
  if (opts.host !== undefined) config.server.host = opts.host;
  const logger = createLogger({ level: config.server.logLevel, base: { service: "slopguard" }, secrets: configSecrets(config) });
  const gateway = await buildGateway(config, {
    logger,
    waitForModels: false,
    // A model that cannot load is a configuration error: fail loudly instead of serving 503s forever.
    onModelError: (err) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(3);
    },
  });
  const server = await listen(gateway.app, { host: config.server.host, port: config.server.port });
  const { metrics } = config.server;
  const metricsServer = gateway.metricsApp && (await listen(gateway.metricsApp, { host: metrics.host ?? config.server.host, port: metrics.port ?? 0 }));
  logger.info("listening", {
    url: server.url,
    ...(metricsServer ? { metricsUrl: `${metricsServer.url}/metrics` } : {}),
    models: config.models.map((m) => `${m.name} (${m.provider})`),
    auth: config.server.apiKeys.length > 0,
    startupMs: Math.round(performance.now() - t0),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceMs = config.server.shutdownGraceSeconds * 1000;
    logger.info("draining", { signal, graceMs, inFlight: server.inFlight() });
    gateway.startDraining();
    const t0 = performance.now();
    let cancelled = 0;
    await server.close(graceMs, {
      onDeadline: () => {
        cancelled = server.inFlight();
        logger.warn("grace period over: cancelling requests still running", { inFlight: cancelled });
        gateway.abortInFlight();
      },
    });
    await metricsServer?.close(0);
    await gateway.close();
    logger.info("stopped", { drainMs: Math.round(performance.now() - t0), cancelled });
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}
