/**
 * The per-API-key budget of live registry lookups (issue 16: one request could start 1,000
 * lookups; `maxLookups` caps one check, this caps a key across its requests). The gateway
 * makes one per request (src/server/rate-limit.ts) and hands it to whatever checks packages
 * for that request (verify, self-refine, /v1/packages/check, MCP) in the check's options;
 * the registry client asks it before each lookup it would start. A name past the budget is
 * `unknown` via `limit`, exactly like one past `maxLookups`.
 *
 * It travels explicitly rather than in an AsyncLocalStorage: on Node 20 an AsyncLocalStorage
 * turns on promise hooks for every promise in the process, a cost on every request.
 */
export interface LookupBudget {
  /** Takes one lookup from the budget; false when it is spent. */
  take(): Promise<boolean>;
}

/** How a package check is run: cancelled with the request, and within its key's lookup budget. */
export interface CheckOptions {
  signal?: AbortSignal | undefined;
  lookupBudget?: LookupBudget | undefined;
}
