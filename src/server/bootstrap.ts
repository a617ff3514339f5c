/**
 * Builds every service the gateway needs from a config: providers, and (as their
 * owners land them) the package checker, retriever, state and mitigation
 * pipeline. Used by `slopguard serve` and by the test helper, so tests run the
 * same wiring as production.
 */
import { setMaxListeners } from "node:events";
import type { Config } from "../config/schema.js";
import { buildProviders, closeProviders, initProviders, type ProviderRegistry } from "../providers/index.js";
import { createLogger, type Logger } from "../util/log.js";
import { createApp, type GatewayServices } from "./app.js";
import { shuttingDown } from "./errors.js";
import { metricsApp } from "./routes/health.js";
import { configSecrets } from "./secrets.js";
import { createState } from "../state/index.js";
import { registry } from "../metrics/index.js";
import { buildChecker, buildPipeline, buildRetriever, type LazyRetriever } from "./services.js";
import { gatewayMcpRouters } from "../mcp/index.js";
import type { Express } from "express";

export interface Gateway {
  app: Express;
  services: GatewayServices;
  /** `/metrics` on its own, when `server.metrics.port` moves it off the main listener. */
  metricsApp?: Express | undefined;
  /** /readyz turns 503 so load balancers stop routing here; requests still run. */
  startDraining(): void;
  /** Cancels every request still running (503 / an error event); for the end of the shutdown grace period. */
  abortInFlight(): void;
  /** Releases models and connections; call after the HTTP server has drained. */
  close(): Promise<void>;
}

export interface BuildOptions {
  logger?: Logger;
  /** Replace any built service (tests inject their own providers or mitigations). */
  overrides?: Partial<GatewayServices>;
  /** Wait for models to load before returning (default true). */
  waitForModels?: boolean;
  /** Called when a model fails to load after startup returned (waitForModels: false). */
  onModelError?: (err: Error) => void;
  /** Keep the watchlist in memory instead of on disk (tests). */
  ephemeral?: boolean;
}

export async function buildGateway(config: Config, options: BuildOptions = {}): Promise<Gateway> {
  // Every part gets the redacting logger, so no upstream body or error can write a configured key.
  const logger = (options.logger ?? createLogger({ level: config.server.logLevel })).withSecrets(configSecrets(config));
  const overrides = options.overrides ?? {};
  const providers: ProviderRegistry = overrides.providers ?? (await buildProviders(config, { logger }));
  const closers: Array<() => Promise<unknown>> = [];
  if (!overrides.providers) closers.push(() => closeProviders(providers));
  const init = initProviders(providers).catch((err: unknown) => {
    logger.error("model failed to load", { err });
    throw err;
  });
  if (options.waitForModels ?? true) await init;
  else init.catch((err: Error) => options.onModelError?.(err));
  // Redis down at startup is not fatal: the state serves locally and reports itself degraded.
  const state = overrides.state ?? (await createState({ config: config.state, registry }));
  if (!overrides.state) closers.push(() => state.close());
  const stateCheck = { name: "state", ready: () => true, detail: () => state.health() };
  let checker = overrides.packageChecker;
  if (!checker) {
    const built = buildChecker(config, state, { ephemeral: options.ephemeral ?? false });
    closers.push(() => built.close());
    checker = built;
  }
  const retriever = "retriever" in overrides ? overrides.retriever : buildRetriever(config, logger);
  if (retriever && !("retriever" in overrides)) closers.push(() => retriever.close());
  // RAG is optional per request: an index still building is reported, not a reason to refuse traffic.
  const ragCheck = { name: "rag", ready: () => true, detail: () => (retriever ? ("status" in retriever ? (retriever as LazyRetriever).status() : { ready: retriever.ready() }) : { enabled: false }) };
  const pipeline = overrides.pipeline ?? buildPipeline(config, { checker, retriever });
  const services: GatewayServices = {
    config,
    providers,
    logger,
    state,
    packageChecker: checker,
    retriever,
    pipeline,
    ...overrides,
    readiness: [...(overrides.readiness ?? []), stateCheck, ragCheck],
    routers: [...(overrides.routers ?? []), ...gatewayMcpRouters({ config, checker, retriever, logger })],
  };
  let draining = false;
  services.isDraining = () => draining;
  const stop = new AbortController();
  // Every request in flight listens here (request-context), so the count is the concurrency, not a leak.
  setMaxListeners(0, stop.signal);
  services.shutdown = stop.signal;
  const app = createApp(services);
  return {
    app,
    services,
    metricsApp: config.server.metrics.port === undefined ? undefined : metricsApp(config.server.metrics),
    startDraining: () => void (draining = true),
    abortInFlight: () => stop.abort(shuttingDown()),
    close: async () => {
      draining = true;
      for (const c of closers.reverse()) await c().catch(() => undefined);
    },
  };
}
