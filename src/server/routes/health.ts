import express, { Router, type Express } from "express";
import type { ProviderRegistry } from "../../providers/index.js";
import { registry } from "../../metrics/index.js";
import { bearerAuth } from "../auth.js";
import { errorHandler, notFoundHandler } from "../errors.js";

/** `server.metrics`: tokens a scrape must send (none: open). */
export interface MetricsAccess {
  bearerTokens: readonly string[];
}

export interface ReadinessCheck {
  name: string;
  ready(): boolean;
  /** Shown under `details` in /readyz, e.g. a degraded-but-serving Redis link. */
  detail?(): unknown;
}

/**
 * /healthz (and /health, the path other gateways and load balancers probe by default): the process
 * answers. /readyz: every model (and extra check) is loaded. /metrics: Prometheus, unless `metrics`
 * is false (served on a listener of its own, see `metricsApp`).
 */
export function opsRouter(deps: { providers: ProviderRegistry; checks?: ReadinessCheck[]; isDraining?: () => boolean; metrics?: MetricsAccess | false }): Router {
  const router = Router();
  router.get(["/healthz", "/health"], (_req, res) => {
    res.locals.route = "/healthz";
    res.json({ status: "ok" });
  });
  router.get("/readyz", (_req, res) => {
    res.locals.route = "/readyz";
    const models = Object.fromEntries([...deps.providers].map(([name, p]) => [name, p.ready()]));
    const checks = Object.fromEntries((deps.checks ?? []).map((c) => [c.name, c.ready()]));
    const draining = deps.isDraining?.() ?? false;
    const ready = !draining && Object.values(models).every(Boolean) && Object.values(checks).every(Boolean);
    const details = Object.fromEntries((deps.checks ?? []).flatMap((c) => (c.detail ? [[c.name, c.detail()]] : [])));
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : draining ? "draining" : "loading", models, checks, details });
  });
  if (deps.metrics !== false) router.use(metricsRouter(deps.metrics ?? { bearerTokens: [] }));
  return router;
}

function metricsRouter(access: MetricsAccess): Router {
  const router = Router();
  router.get(
    "/metrics",
    (_req, res, next) => {
      res.locals.route = "/metrics";
      next();
    },
    bearerAuth(access.bearerTokens),
    async (_req, res) => {
      res.set("content-type", registry.contentType).send(await registry.metrics());
    },
  );
  return router;
}

/** `/metrics` alone, for `server.metrics.port`: scrapers reach it there and nowhere else. */
export function metricsApp(access: MetricsAccess): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(metricsRouter(access));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
