import { Router } from "express";
import type { ProviderRegistry } from "../../providers/index.js";
import { registry } from "../../metrics/index.js";

export interface ReadinessCheck {
  name: string;
  ready(): boolean;
  /** Shown under `details` in /readyz, e.g. a degraded-but-serving Redis link. */
  detail?(): unknown;
}

/** /healthz: the process answers. /readyz: every model (and extra check) is loaded. /metrics: Prometheus. */
export function opsRouter(deps: { providers: ProviderRegistry; checks?: ReadinessCheck[]; isDraining?: () => boolean }): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
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
  router.get("/metrics", async (_req, res) => {
    res.locals.route = "/metrics";
    res.set("content-type", registry.contentType).send(await registry.metrics());
  });
  return router;
}
