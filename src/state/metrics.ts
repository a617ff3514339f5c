/**
 * Metrics of the state layer. Registered on the registry the caller passes (the
 * gateway's), reusing a metric that already exists so that several state
 * instances in one process (tests, reloads) do not collide.
 */
import { Counter, Gauge, register as defaultRegistry, type Registry } from "prom-client";

export interface StateMetrics {
  /** 1 while the shared backend answers, 0 while replicas run on local state. */
  backendUp: { set(value: number): void };
  /** Operations served from local state because the shared backend failed. */
  fallbacks: Counter<"operation">;
}

export function stateMetrics(registry: Registry = defaultRegistry, backend: string): StateMetrics {
  const backendUp =
    (registry.getSingleMetric("slopguard_state_backend_up") as Gauge<"backend"> | undefined) ??
    new Gauge({
      name: "slopguard_state_backend_up",
      help: "1 while the shared state backend (Redis) answers; 0 while this replica uses local state",
      labelNames: ["backend"],
      registers: [registry],
    });
  const fallbacks =
    (registry.getSingleMetric("slopguard_state_fallbacks_total") as Counter<"operation"> | undefined) ??
    new Counter({
      name: "slopguard_state_fallbacks_total",
      help: "State operations served from local state because the shared backend failed",
      labelNames: ["operation"],
      registers: [registry],
    });
  return { backendUp: backendUp.labels({ backend }), fallbacks };
}
