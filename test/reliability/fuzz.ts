/**
 * Shared settings of the property-based tests (fast-check): a fixed seed so every
 * run checks the same cases (CI stays deterministic; a failure prints the seed and
 * the shrunk counterexample), and run counts that one env var scales up for a
 * longer local hunt: `FUZZ_SCALE=20 npm run test:reliability`.
 */
import type { Parameters } from "fast-check";

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_129);
const SCALE = Math.max(0.1, Number(process.env.FUZZ_SCALE ?? 1));

/** Test timeout for a property whose runs take about `ms` at scale 1 on a busy 2-core machine. */
export const fuzzTimeout = (ms = 60_000) => Math.round(ms * Math.max(1, SCALE));

export function fuzzParams<T>(runs: number): Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: Math.round(runs * SCALE), endOnFailure: true };
}

/** Characters that mean something in a path or URL, or break a log line or a header. */
export const HOSTILE_CHARS = ["/", "\\", ".", "..", "%", "%2f", "%2e", "?", "#", "@", ":", "~", " ", "\t", "\n", "\r", "\0", "'", '"', "<", ">", "|", "*", "&", "=", "+", ";", "ü", "п", "\u202e", "\u200b", "ﬁ"];
