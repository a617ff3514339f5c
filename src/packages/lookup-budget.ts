/**
 * The per-API-key budget of live registry lookups (issue 16: one request could start 1,000
 * lookups; `maxLookups` caps one check, this caps a key across its requests). The gateway
 * runs each request inside its key's budget (src/server/rate-limit.ts); the registry client
 * asks it before each lookup it would start, wherever the check came from (verify,
 * self-refine, /v1/packages/check, MCP), without every caller passing it down. A name past
 * the budget is `unknown` via `limit`, exactly like one past `maxLookups`.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface LookupBudget {
  /** Takes one lookup from the budget; false when it is spent. */
  take(): Promise<boolean>;
}

const scope = new AsyncLocalStorage<LookupBudget>();

/** Runs `fn` (and everything it starts) under `budget`. */
export function runWithLookupBudget<T>(budget: LookupBudget, fn: () => T): T {
  return scope.run(budget, fn);
}

/** The budget of the request this code runs for; none outside a gateway request (CLI, eval). */
export function currentLookupBudget(): LookupBudget | undefined {
  return scope.getStore();
}
