/**
 * Upstream resilience, the same for every API and every provider: the request service
 * (src/server/service.ts) calls models only through this.
 *
 * - Deadlines. A JSON answer has one total deadline (`timeoutMs`); a stream has it until its
 *   first part, then the provider's idle limit per event, and `streamDeadlineMs` overall. The
 *   SDKs' own `timeout` only covers the response headers: a body that stalls after them is
 *   cut off here, by aborting the call's signal.
 * - Retries with full-jitter backoff after a connection error, a 5xx or an attempt's timeout,
 *   only while the deadline leaves time for the wait, and never once a part of a stream has
 *   been passed on. A 429 (with its Retry-After) and any other 4xx go straight to the client.
 * - Fallbacks: the requested model's `fallbacks`, in order, under the same deadline.
 * - A circuit breaker per model (breaker.ts): an open circuit is skipped at once.
 *
 * Each request keeps count of its attempts and the model that served it, for the
 * `x-slopguard-attempts` and `x-slopguard-served-by` headers.
 */
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import type { ModelConfig } from "../config/schema.js";
import { metrics } from "../metrics/index.js";
import { CircuitBreaker, type CircuitState } from "./breaker.js";
import type { ProviderRegistry } from "./index.js";
import { linkedAbort } from "./timing.js";
import { ProviderError, type Provider } from "./types.js";

export const ATTEMPTS_HEADER = "X-Slopguard-Attempts";
export const SERVED_BY_HEADER = "X-Slopguard-Served-By";

/** Longest backoff between two attempts, whatever `retryBackoffMs` and the retry count say. */
const MAX_BACKOFF_MS = 8_000;
/** Codes of transient upstream failures: worth another attempt at the same model. */
const RETRYABLE = new Set(["upstream_unreachable", "upstream_error", "upstream_overloaded", "upstream_timeout"]);
/** Failures that say nothing about the upstream's health: the breaker does not count them. */
const NEUTRAL = new Set(["model_loading", "shutting_down"]);
const STATE_VALUE: Record<CircuitState, number> = { closed: 0, "half-open": 1, open: 2 };

interface ModelPolicy {
  name: string;
  provider: Provider;
  breaker: CircuitBreaker;
  timeoutMs: number | undefined;
  attemptTimeoutMs: number | undefined;
  maxRetries: number;
  retryBackoffMs: number;
  streamDeadlineMs: number;
  fallbacks: readonly string[];
}

/** A timeout of the gateway's own: `scope` says whether the whole request or one attempt ran out. */
class DeadlineError extends ProviderError {
  constructor(
    message: string,
    readonly scope: "request" | "attempt",
  ) {
    super(message, 504, "upstream_timeout");
  }
}

/** An AbortSignal under `parent` that also aborts after `ms` with a 504; `disarm` stops the clock only. */
function deadline(parent: AbortSignal, ms: number | undefined, scope: DeadlineError["scope"], what: string) {
  const link = linkedAbort(parent);
  const endsAt = ms === undefined ? Infinity : performance.now() + ms;
  const timer = ms === undefined ? undefined : setTimeout(() => link.controller.abort(new DeadlineError(`Upstream ${what} within ${ms} ms`, scope)), ms);
  return {
    signal: link.controller.signal,
    remainingMs: () => endsAt - performance.now(),
    disarm: () => clearTimeout(timer),
    dispose: () => {
      clearTimeout(timer);
      link.dispose();
    },
  };
}
type Deadline = ReturnType<typeof deadline>;

function policyOf(model: ModelConfig, provider: Provider): ModelPolicy {
  const remote = model.provider !== "local";
  const breaker = new CircuitBreaker({
    ...model.breaker,
    onState: (state) => {
      metrics.circuitState.set({ model: model.name }, STATE_VALUE[state]);
      if (state === "open") metrics.circuitOpens.inc({ model: model.name });
    },
  });
  metrics.circuitState.set({ model: model.name }, 0);
  return {
    name: model.name,
    provider,
    breaker,
    timeoutMs: model.timeoutMs,
    attemptTimeoutMs: remote ? model.attemptTimeoutMs : undefined,
    // A local model's failures are not transient (a full queue is a 429, a failed load stays failed).
    maxRetries: remote ? model.maxRetries : 0,
    retryBackoffMs: remote ? model.retryBackoffMs : 0,
    streamDeadlineMs: model.streamDeadlineMs,
    fallbacks: model.fallbacks,
  };
}

export interface ResilientUpstream {
  generate(call: ModelCall): Promise<Generation>;
  stream(call: ModelCall): AsyncIterable<StreamPart>;
  /** Attempts so far and the model that served the last answer (once one has). */
  headers(): Record<string, string>;
}

export interface Resilience {
  start(args: { model: string; signal: AbortSignal; requestId: string }): ResilientUpstream;
  /** The breaker of a configured model (tests, /readyz). */
  breaker(model: string): CircuitBreaker | undefined;
}

export function createResilience(deps: { models: readonly ModelConfig[]; providers: ProviderRegistry }): Resilience {
  const policies = new Map<string, ModelPolicy>();
  for (const m of deps.models) {
    const provider = deps.providers.get(m.name);
    if (provider) policies.set(m.name, policyOf(m, provider));
  }
  return {
    breaker: (model) => policies.get(model)?.breaker,
    start(args) {
      const primary = policies.get(args.model);
      if (!primary) throw new Error(`resilience: no provider for model '${args.model}'`);
      const chain = [primary, ...primary.fallbacks.flatMap((f) => policies.get(f) ?? [])];
      return new RequestAttempts({ chain, signal: args.signal, requestId: args.requestId });
    },
  };
}

/** What one attempt produced, and the signal (and its clock) the rest of a stream keeps using. */
interface Opened<T> {
  value: T;
  model: ModelPolicy;
  attempt: Deadline;
}

type Verdict = "client" | "final" | "retry" | "next";

class RequestAttempts implements ResilientUpstream {
  private attempts = 0;
  private servedBy: string | undefined;

  constructor(private readonly args: { chain: ModelPolicy[]; signal: AbortSignal; requestId: string }) {}

  private get primary(): ModelPolicy {
    return this.args.chain[0]!;
  }

  headers(): Record<string, string> {
    return { [ATTEMPTS_HEADER]: String(this.attempts), ...(this.servedBy ? { [SERVED_BY_HEADER]: this.servedBy } : {}) };
  }

  async generate(call: ModelCall): Promise<Generation> {
    const total = deadline(this.args.signal, this.primary.timeoutMs, "request", "did not answer");
    try {
      const opened = await this.open(total, (model, signal) => model.provider.generate(call, { signal, requestId: this.args.requestId }));
      opened.attempt.dispose();
      return opened.value;
    } finally {
      total.dispose();
    }
  }

  async *stream(call: ModelCall): AsyncGenerator<StreamPart> {
    const whole = deadline(this.args.signal, this.primary.streamDeadlineMs, "request", "did not finish the stream");
    const first = deadline(whole.signal, this.primary.timeoutMs, "request", "sent no part of the answer");
    let opened: Opened<{ it: AsyncIterator<StreamPart>; head: IteratorResult<StreamPart> }> | undefined;
    try {
      opened = await this.open(first, async (model, signal) => {
        const it = model.provider.stream(call, { signal, requestId: this.args.requestId })[Symbol.asyncIterator]();
        return { it, head: await it.next() };
      });
      // From here on the stream's own limits apply: the provider's idle limit and `whole`.
      first.disarm();
      opened.attempt.disarm();
      const { it, head } = opened.value;
      for (let r = head; !r.done; r = await this.next(it, opened)) yield r.value;
    } finally {
      await opened?.value.it.return?.()?.catch(() => undefined);
      opened?.attempt.dispose();
      first.dispose();
      whole.dispose();
    }
  }

  /** The next part after the first; a failure now can only be reported, never retried. */
  private async next(it: AsyncIterator<StreamPart>, opened: Opened<unknown>): Promise<IteratorResult<StreamPart>> {
    try {
      return await it.next();
    } catch (raw) {
      const err = reasonOf(raw, opened.attempt.signal);
      if (this.args.signal.aborted) throw err;
      this.settle(opened.model, err, false);
      throw err;
    }
  }

  /**
   * Tries the chain in order (each model with its own retries and breaker) until one
   * attempt succeeds; throws what the client should see otherwise.
   */
  private async open<T>(total: Deadline, run: (model: ModelPolicy, signal: AbortSignal) => Promise<T>): Promise<Opened<T>> {
    let last: unknown;
    for (const [i, model] of this.args.chain.entries()) {
      if (i > 0) metrics.upstreamFallbacks.inc({ model: this.primary.name, fallback: model.name });
      for (let retry = 0; ; retry++) {
        if (total.signal.aborted) throw total.signal.reason;
        const admission = model.breaker.admit();
        if (!admission.allowed) {
          last = circuitOpen(model, admission.retryAfterMs);
          metrics.providerErrors.inc({ model: model.name, code: "circuit_open" });
          break;
        }
        this.attempts++;
        const attempt = deadline(total.signal, model.attemptTimeoutMs, "attempt", "did not answer an attempt");
        try {
          const value = await run(model, attempt.signal);
          model.breaker.success();
          this.servedBy = model.name;
          return { value, model, attempt };
        } catch (raw) {
          attempt.dispose();
          const err = reasonOf(raw, attempt.signal);
          const verdict = this.settle(model, err, admission.probe);
          if (verdict === "client" || verdict === "final") throw err;
          last = err;
          if (verdict === "next" || retry >= model.maxRetries || !(await backoff(model, retry, total))) break;
          metrics.upstreamRetries.inc({ model: model.name, code: (err as ProviderError).code });
        }
      }
    }
    throw last;
  }

  /** Tells the breaker and the error metric what a failed attempt means, and what to do next. */
  private settle(model: ModelPolicy, err: unknown, probe: boolean): Verdict {
    if (this.args.signal.aborted || !(err instanceof ProviderError)) {
      model.breaker.release(probe);
      return this.args.signal.aborted ? "client" : "final";
    }
    // slopguard_provider_errors_total: every failed attempt (retries, fallbacks, self-refine rounds, mid-stream).
    metrics.providerErrors.inc({ model: model.name, code: err.code });
    // A 429 (upstream, or a full local queue) and any other 4xx are the client's to handle, with their Retry-After.
    if (err.status < 500 || NEUTRAL.has(err.code)) {
      model.breaker.release(probe);
      return err.status < 500 ? "final" : "next";
    }
    model.breaker.failure();
    if (err instanceof DeadlineError && err.scope === "request") return "final";
    return RETRYABLE.has(err.code) ? "retry" : "next";
  }
}

/** Our own timeout, when the attempt's signal carries one; otherwise the error itself. */
function reasonOf(err: unknown, signal: AbortSignal): unknown {
  return signal.aborted && signal.reason instanceof ProviderError ? signal.reason : err;
}

function circuitOpen(model: ModelPolicy, retryAfterMs: number): ProviderError {
  return new ProviderError(
    `Model '${model.name}' is unavailable: it failed repeatedly and is skipped for now (circuit open)`,
    503,
    "circuit_open",
    Math.max(1, Math.ceil(retryAfterMs / 1000)),
  );
}

/** Waits before retry `retry + 1` (full jitter); false when the wait would not fit in the deadline or the request ended. */
async function backoff(model: ModelPolicy, retry: number, total: Deadline): Promise<boolean> {
  const ms = Math.random() * Math.min(MAX_BACKOFF_MS, model.retryBackoffMs * 2 ** retry);
  if (ms >= total.remainingMs()) return false;
  if (ms < 1) return !total.signal.aborted;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      total.signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    total.signal.addEventListener("abort", onAbort, { once: true });
  });
}
