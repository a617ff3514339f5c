/**
 * The express app. `createApp(services)` takes everything already built (providers,
 * the mitigation factory, extra routers from other parts) so tests can start the
 * real app in-process with their own services.
 */
import express, { type Express, type Router } from "express";
import type { Config } from "../config/schema.js";
import type { ProviderRegistry } from "../providers/index.js";
import { createLogger, type Logger } from "../util/log.js";
import type { GatewayState } from "../state/index.js";
import type { PackageChecker } from "../packages/types.js";
import type { Retriever } from "../rag/types.js";
import { bearerAuth } from "./auth.js";
import { createGatewayService, type MitigationsFor, type ProfilePipeline } from "./service.js";
import { errorHandler, notFoundHandler, useErrorShape } from "./errors.js";
import { messagesErrorBody } from "../codecs/messages/index.js";
import { requestContext } from "./request-context.js";
import { chatCompletions } from "./routes/chat.js";
import { responses } from "./routes/responses.js";
import { countTokens, messages } from "./routes/messages.js";
import { completions } from "./routes/completions.js";
import { opsRouter, type ReadinessCheck } from "./routes/health.js";
import { modelsRouter } from "./routes/models.js";
import { packagesRouter } from "./routes/packages.js";
import { lookupBudget, rateLimit } from "./rate-limit.js";
import { MemoryRateLimiter } from "../state/index.js";
import { rejectDeepBodies } from "./body.js";
import { configSecrets } from "./secrets.js";
import { allowModels } from "../metrics/index.js";

export interface GatewayServices {
  config: Config;
  providers: ProviderRegistry;
  /** P's package checker (also used by the mitigations and the package-check route). */
  packageChecker?: PackageChecker | undefined;
  /** R's retriever; undefined when `rag.enabled` is false. */
  retriever?: Retriever | undefined;
  /** M's mitigation pipeline: resolves the profile and builds its mitigations. */
  pipeline?: ProfilePipeline | undefined;
  /** Overrides the pipeline's mitigation list (tests); no mitigations when both are absent. */
  mitigationsFor?: MitigationsFor | undefined;
  logger?: Logger | undefined;
  /** Extra readiness conditions for /readyz (e.g. the RAG index). */
  readiness?: ReadinessCheck[] | undefined;
  /** Extra routers (e.g. the package-check API), mounted behind auth before the 404. */
  routers?: Router[] | undefined;
  /** True while SIGTERM drains: /readyz answers 503 so load balancers stop sending. */
  isDraining?: (() => boolean) | undefined;
  /** Shared state (src/state/): its rate limiter enforces `state.rateLimits` per API key. */
  state?: GatewayState | undefined;
  /** Aborted when the shutdown grace period ends; requests still running are cancelled with its reason. */
  shutdown?: AbortSignal | undefined;
}

export function createApp(services: GatewayServices): Express {
  const { config } = services;
  const logger = (services.logger ?? createLogger({ level: config.server.logLevel })).withSecrets(configSecrets(config));
  allowModels(config.models.map((m) => m.name));
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.set("trust proxy", false);
  app.use(requestContext(logger, { shutdown: services.shutdown }));
  // Anthropic's clients read Anthropic's error shape, from auth and the body parser on.
  app.use("/v1/messages", useErrorShape(messagesErrorBody));
  const metricsHere = config.server.metrics.port === undefined;
  app.use(opsRouter({ providers: services.providers, checks: services.readiness ?? [], isDraining: services.isDraining ?? (() => false), metrics: metricsHere ? config.server.metrics : false }));
  // The key is checked before the body is read: an unauthenticated client gets 401, not a parsed megabyte.
  app.use(bearerAuth(config.server.apiKeys));
  // Every content type is parsed as JSON: `curl -d` sends form encoding by default.
  app.use(express.json({ limit: config.server.bodyLimitBytes, type: () => true, strict: false }));
  app.use(rejectDeepBodies());
  if (services.state) app.use(rateLimit({ limiter: services.state.rateLimiter, limits: config.state.rateLimits }));
  // Last before the routes: the key's budget goes on res.locals; every package check a route starts (mitigations, MCP tools) takes it.
  app.use(lookupBudget({ limiter: services.state?.rateLimiter ?? new MemoryRateLimiter(), perMinute: config.packages.maxLookupsPerKey }));
  app.use(modelsRouter(config));
  const service = createGatewayService({
    config,
    providers: services.providers,
    pipeline: services.pipeline,
    mitigationsFor: services.mitigationsFor,
  });
  app.post("/v1/chat/completions", chatCompletions(service));
  app.post("/v1/responses", responses(service));
  app.post("/v1/messages", messages(service));
  app.post("/v1/messages/count_tokens", countTokens(service));
  app.post("/v1/completions", completions(service));
  if (services.packageChecker) app.use(packagesRouter(services.packageChecker));
  for (const r of services.routers ?? []) app.use(r);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
