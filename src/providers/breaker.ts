/**
 * A circuit breaker per model: after `failures` consecutive failed attempts the model is
 * skipped for `cooldownMs` (callers fail fast and move on to a fallback), then exactly one
 * attempt probes it (half-open). The probe's success closes the circuit; its failure opens
 * it for another cooldown. While the probe runs, other callers fail fast as if it were
 * open, rather than queueing behind an attempt that may take the whole deadline.
 *
 * State is per process: each replica learns about an upstream from its own traffic.
 */

export type CircuitState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failed attempts that open the circuit; 0 = never open. */
  failures: number;
  cooldownMs: number;
  /** Called on every change of state (metrics). */
  onState?: (state: CircuitState) => void;
  now?: () => number;
}

/** What `admit` says: go ahead (a probe, when half-open), or not before `retryAfterMs`. */
export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

export class CircuitBreaker {
  private current: CircuitState = "closed";
  private consecutive = 0;
  private openedAt = 0;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Asks to start an attempt. A caller that was admitted must report `success` or `failure` (or `release`). */
  admit(): Admission {
    if (this.current === "closed") return { allowed: true, probe: false };
    const left = this.openedAt + this.options.cooldownMs - this.now();
    if (this.current === "open" && left <= 0) {
      this.set("half-open");
      return { allowed: true, probe: true };
    }
    // Open, or half-open with its one probe in flight (which should settle soon).
    return { allowed: false, retryAfterMs: left > 0 ? left : 1000 };
  }

  success(): void {
    this.consecutive = 0;
    if (this.current !== "closed") this.set("closed");
  }

  failure(): void {
    this.consecutive++;
    if (this.current === "half-open" || (this.options.failures > 0 && this.consecutive >= this.options.failures)) {
      this.openedAt = this.now();
      this.set("open");
    }
  }

  /**
   * An admitted attempt that ended without saying anything about the upstream (the client left,
   * a 4xx or 429): a probe gives its turn back, so the next caller probes instead.
   */
  release(probe: boolean): void {
    if (probe && this.current === "half-open") {
      this.openedAt = this.now() - this.options.cooldownMs;
      this.set("open");
    }
  }

  private set(state: CircuitState): void {
    this.current = state;
    this.options.onState?.(state);
  }
}
