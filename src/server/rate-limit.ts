/**
 * Per-API-key limits on requests and tokens per minute, shared by every replica
 * through the state layer's RateLimiter (Redis when configured). Mounted after
 * authentication, so an unauthenticated caller never reaches the limiter and a
 * Redis outage never lets an unknown key through: it only makes the limits
 * per replica until Redis returns.
 *
 * Tokens are known only once the answer is done, so a request is admitted while
 * the key has token budget left, and its usage is charged when the response
 * closes (the chat route leaves it in `res.locals.usage`). A key may overshoot
 * by one answer; the next request then waits, as with OpenAI's own limits.
 */
import type { RequestHandler, Response } from "express";
import type { LookupBudget } from "../packages/lookup-budget.js";
import type { RateLimitsConfig } from "../state/config.js";
import { rateLimitSubject } from "../state/subject.js";
import type { RateLimitDecision, RateLimiter } from "../state/types.js";
import { ApiError } from "./errors.js";

export interface RateLimitOptions {
  limiter: RateLimiter;
  limits: RateLimitsConfig;
}

interface UsageLike {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

/** Charging recorded usage must never be refused, so it runs against an unreachable limit. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

export function rateLimit({ limiter, limits }: RateLimitOptions): RequestHandler {
  const { requestsPerMinute: rpm, tokensPerMinute: tpm } = limits;
  if (rpm === 0 && tpm === 0) return (_req, _res, next) => next();
  return async (req, res, next) => {
    const subject = subjectOf(req.headers.authorization, req.socket.remoteAddress);
    if (tpm > 0) {
      const tokens = await limiter.consume(`${subject}:tok`, 0, tpm);
      setHeaders(res, "tokens", tpm, tokens);
      if (!tokens.allowed) throw refusal("tokens", tpm, tokens);
      res.once("close", () => void chargeTokens(limiter, `${subject}:tok`, res.locals.usage as UsageLike | undefined));
    }
    if (rpm > 0) {
      const requests = await limiter.consume(`${subject}:req`, 1, rpm);
      setHeaders(res, "requests", rpm, requests);
      if (!requests.allowed) throw refusal("requests", rpm, requests);
    }
    next();
  };
}

/**
 * Runs each request inside its key's budget of live registry lookups per minute
 * (`packages.maxLookupsPerKey`, src/packages/lookup-budget.ts), counted by the same limiter
 * as the request limits, so replicas sharing Redis share the budget.
 */
export function lookupBudget({ limiter, perMinute }: { limiter: RateLimiter; perMinute: number }): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return (req, res, next) => {
    // The key (a hash of the token) is worked out only when a check starts a live lookup: most requests never do.
    const { authorization } = req.headers;
    const address = req.socket.remoteAddress;
    let key: string | undefined;
    const budget: LookupBudget = {
      take: async () => {
        key ??= `${subjectOf(authorization, address)}:lookups`;
        return (await limiter.consume(key, 1, perMinute)).allowed;
      },
    };
    res.locals.lookupBudget = budget;
    next();
  };
}

/** The request's lookup budget (set by `lookupBudget`), for whatever checks packages on its behalf. */
export function lookupBudgetOf(res: Response): LookupBudget | undefined {
  return res.locals.lookupBudget as LookupBudget | undefined;
}

/** The bearer token when there is one (auth already vetted it), else the client address. */
function subjectOf(authorization: string | undefined, address: string | undefined): string {
  const token = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim();
  return token ? rateLimitSubject(token) : `ip:${address ?? "unknown"}`;
}

async function chargeTokens(limiter: RateLimiter, key: string, usage: UsageLike | undefined): Promise<void> {
  const tokens = usage?.total_tokens ?? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0);
  if (tokens > 0) await limiter.consume(key, tokens, UNLIMITED).catch(() => undefined);
}

function setHeaders(res: Response, unit: "requests" | "tokens", limit: number, decision: RateLimitDecision): void {
  res.setHeader(`x-ratelimit-limit-${unit}`, String(limit));
  res.setHeader(`x-ratelimit-remaining-${unit}`, String(decision.remaining));
}

function refusal(unit: "requests" | "tokens", limit: number, decision: RateLimitDecision): ApiError {
  return new ApiError(
    429,
    `Rate limit reached for ${unit} per minute on this API key (limit ${limit}/min). Please try again in ${decision.retryAfterSeconds}s.`,
    { code: "rate_limit_exceeded", type: unit, headers: { "retry-after": String(decision.retryAfterSeconds) } },
  );
}
