/**
 * Label values from closed sets. Every distinct label value is a new time series held
 * in memory until the process ends and written on every scrape, so a label that takes
 * client text (a `model` of 200 KB, a new one per request) grows memory and /metrics
 * without bound. The gateway's metrics are wrapped (`bounded`) so that each label is
 * checked on every call: `model` must be a configured model name, `route` one of the
 * gateway's routes, `status` a three-digit HTTP status, and so on; anything else is
 * counted as `unknown`. A label without a rule keeps its first `OPEN_LABEL_LIMIT`
 * distinct values, as a backstop for labels added later.
 */
import type { Counter, Gauge, Histogram } from "prom-client";

export const UNKNOWN = "unknown";
export const OPEN_LABEL_LIMIT = 64;

/** Every `res.locals.route` the gateway sets, plus the two catch-alls request-context uses. */
const ROUTES = [
  "/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/messages/count_tokens", "/v1/completions",
  "/v1/models", "/v1/models/:id", "/v1/packages/check", "/mcp", "/healthz", "/readyz", "/metrics", "unmatched", "other",
];

const models = new Set<string>();
const routes = new Set<string>(ROUTES);
const seen = new Map<string, Set<string>>();

/** Configured public model names (createApp calls this); names from every config loaded in the process count. */
export function allowModels(names: Iterable<string>): void {
  for (const n of names) models.add(n);
}

/** Routes mounted by extra routers (`GatewayServices.routers`). */
export function allowRoutes(names: Iterable<string>): void {
  for (const n of names) routes.add(n);
}

const IDENT = /^[a-z][a-z0-9_]{0,63}$/;

const RULES: Record<string, (value: string) => boolean> = {
  // "" is the label of requests that name no model (health checks, /v1/models).
  model: (v) => v === "" || models.has(v),
  fallback: (v) => models.has(v),
  route: (v) => routes.has(v),
  status: (v) => /^[1-5]\d\d$/.test(v),
  stream: (v) => v === "true" || v === "false",
  provider: (v) => ["openai-compatible", "openai-responses", "anthropic", "local"].includes(v),
  code: (v) => IDENT.test(v) && withinOpenLimit("code", v),
};

function withinOpenLimit(label: string, value: string): boolean {
  let values = seen.get(label);
  if (!values) seen.set(label, (values = new Set()));
  if (values.has(value)) return true;
  if (values.size >= OPEN_LABEL_LIMIT) return false;
  values.add(value);
  return true;
}

/** The value a label is recorded with: itself when it is in the label's set, else `unknown`. */
export function boundLabel(label: string, value: unknown): string {
  const v = String(value);
  const rule = RULES[label];
  if (rule) return rule(v) ? v : UNKNOWN;
  return v.length <= 64 && withinOpenLimit(label, v) ? v : UNKNOWN;
}

export function boundLabels<T extends Record<string, unknown>>(labels: T): T {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = boundLabel(k, v);
  return out as T;
}

const isLabels = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Methods whose first argument may be a label object (prom-client 15). */
const LABELLED = new Set(["inc", "dec", "set", "observe", "setToCurrentTime", "zero", "remove", "labels", "startTimer"]);

/**
 * The same metric, with every label object (and positional `labels(...)` values)
 * passed through `boundLabels` first. A Proxy keeps the metric's full type, so code
 * that records metrics does not change.
 */
export function bounded<M extends Counter<string> | Gauge<string> | Histogram<string>>(metric: M): M {
  const names = (metric as unknown as { labelNames: string[] }).labelNames;
  const wrap = (fn: (...a: unknown[]) => unknown, method: string) =>
    function (this: unknown, ...args: unknown[]) {
      if (isLabels(args[0])) args[0] = boundLabels(args[0]);
      else if ((method === "labels" || method === "remove") && args.length > 0) args = args.map((v, i) => boundLabel(names[i] ?? "", v));
      const result = fn.apply(this, args);
      // `startTimer()` returns `end(labels?)`, which may add labels of its own.
      if (method === "startTimer" && typeof result === "function") {
        return (extra?: Record<string, unknown>) => (result as (l?: unknown) => number)(extra && boundLabels(extra));
      }
      return result;
    };
  return new Proxy(metric, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      return typeof prop === "string" && LABELLED.has(prop) && typeof value === "function" ? wrap(value as (...a: unknown[]) => unknown, prop) : value;
    },
  });
}
