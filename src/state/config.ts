/**
 * The `state` section of the gateway config: where replicas keep what they must
 * agree on. `state: memory` (the default) keeps everything in-process;
 * `state: redis://host:6379/0` shares it through Redis. The long form is an
 * object with `url` plus tuning and the per-API-key rate limits.
 */
import { z } from "zod";

const RedisUrl = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, "must be `memory` or a redis:// or rediss:// URL");

export const RateLimitsSchema = z.strictObject({
  /** Requests each API key may send per minute, across all replicas; 0 disables. */
  requestsPerMinute: z.number().int().min(0).default(0),
  /** Prompt + completion tokens each API key may use per minute; 0 disables. */
  tokensPerMinute: z.number().int().min(0).default(0),
});
export type RateLimitsConfig = z.infer<typeof RateLimitsSchema>;

const StateObjectSchema = z.strictObject({
  /** `memory`, or a Redis URL; `${REDIS_URL}` interpolation works here. */
  url: z.union([z.literal("memory"), RedisUrl]).default("memory"),
  /** Prefix of every Redis key, so several gateways can share one Redis. */
  keyPrefix: z.string().default("slopguard:"),
  /** A Redis command slower than this counts as a failure and falls back to local state. */
  commandTimeoutMs: z.number().int().positive().default(500),
  rateLimits: RateLimitsSchema.default(RateLimitsSchema.parse({})),
});

/** Accepts the short string form (`memory` | `redis://…`) as well as the object. */
export const StateConfigSchema = z.preprocess(
  (value) => (typeof value === "string" ? { url: value } : value),
  StateObjectSchema,
);
export type StateConfig = z.infer<typeof StateConfigSchema>;
