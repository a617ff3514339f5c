/**
 * The one prom-client registry of the process and the gateway's own metrics.
 * Names follow LiteLLM's and vLLM's (requests total, TTFT, token counters, queue
 * depth) with the `slopguard_` prefix. Other parts register their metrics on
 * `registry` so that a single `/metrics` scrape shows everything. Every label of these
 * metrics is bounded to a closed set (labels.ts): a model name nobody configured is
 * recorded as `unknown`, so client input cannot add time series.
 *
 *   import { registry } from "../metrics/index.js";
 *   new Counter({ name: "slopguard_packages_checked_total", help: "...", registers: [registry] });
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { bounded } from "./labels.js";

export { allowModels, allowRoutes, boundLabel, UNKNOWN } from "./labels.js";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "slopguard_" });

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const OVERHEAD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

export const metrics = {
  requests: bounded(new Counter({
    name: "slopguard_requests_total",
    help: "HTTP requests answered, by public model name, route and status code",
    labelNames: ["model", "route", "status"] as const,
    registers: [registry],
  })),
  requestDuration: bounded(new Histogram({
    name: "slopguard_request_duration_seconds",
    help: "Time from request arrival to the last byte of the response",
    labelNames: ["model", "route", "stream"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })),
  timeToFirstToken: bounded(new Histogram({
    name: "slopguard_time_to_first_token_seconds",
    help: "Time from request arrival to the first content chunk written to a streaming client",
    labelNames: ["model"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })),
  upstreamLatency: bounded(new Histogram({
    name: "slopguard_upstream_latency_seconds",
    help: "Time spent waiting on the provider (remote API or local generation) per request",
    labelNames: ["model", "provider"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })),
  overhead: bounded(new Histogram({
    name: "slopguard_gateway_overhead_seconds",
    help: "Request duration minus time waiting on the provider (parsing, mitigations, serialisation)",
    labelNames: ["model", "route"] as const,
    buckets: OVERHEAD_BUCKETS,
    registers: [registry],
  })),
  inputTokens: bounded(new Counter({
    name: "slopguard_input_tokens_total",
    help: "Prompt tokens reported by the provider",
    labelNames: ["model"] as const,
    registers: [registry],
  })),
  outputTokens: bounded(new Counter({
    name: "slopguard_output_tokens_total",
    help: "Completion tokens reported by the provider",
    labelNames: ["model"] as const,
    registers: [registry],
  })),
  inFlight: bounded(new Gauge({
    name: "slopguard_requests_in_flight",
    help: "Requests being processed now",
    labelNames: ["route"] as const,
    registers: [registry],
  })),
  queueDepth: bounded(new Gauge({
    name: "slopguard_queue_depth",
    help: "Requests waiting for a free local model sequence",
    labelNames: ["model"] as const,
    registers: [registry],
  })),
  backpressureWaits: bounded(new Counter({
    name: "slopguard_sse_backpressure_waits_total",
    help: "Times a streaming response paused for a slow client (socket buffer full, waited for 'drain')",
    registers: [registry],
  })),
  providerErrors: bounded(new Counter({
    name: "slopguard_provider_errors_total",
    help: "Provider failures by model and error code (upstream_error, upstream_timeout, queue_full, ...)",
    labelNames: ["model", "code"] as const,
    registers: [registry],
  })),
  upstreamRetries: bounded(new Counter({
    name: "slopguard_upstream_retries_total",
    help: "Attempts retried after a connection error, 5xx or an attempt's timeout, by the model retried and the error code",
    labelNames: ["model", "code"] as const,
    registers: [registry],
  })),
  upstreamFallbacks: bounded(new Counter({
    name: "slopguard_upstream_fallbacks_total",
    help: "Requests that moved on from a failing model to its next fallback, by requested model and fallback",
    labelNames: ["model", "fallback"] as const,
    registers: [registry],
  })),
  circuitState: bounded(new Gauge({
    name: "slopguard_circuit_breaker_state",
    help: "Circuit breaker of each model: 0 closed, 1 half-open (one probe in flight), 2 open (skipped)",
    labelNames: ["model"] as const,
    registers: [registry],
  })),
  circuitOpens: bounded(new Counter({
    name: "slopguard_circuit_breaker_opens_total",
    help: "Times a model's circuit opened (consecutive failures, or a failed half-open probe)",
    labelNames: ["model"] as const,
    registers: [registry],
  })),
};

export type Metrics = typeof metrics;
