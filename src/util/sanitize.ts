/**
 * Removes secrets from text that may reach a client or a log line: bearer tokens,
 * `sk-`-style keys, credentials in URLs, and any configured key verbatim.
 */
export function sanitize(text: string, secrets: readonly string[] = []): string {
  return redact(text, secrets).slice(0, 500);
}

/** Shorter secrets would blank out ordinary words; configured keys are far longer than this. */
export const MIN_SECRET_LENGTH = 4;

/** `sanitize` without the length cap: the logger caps fields itself (src/util/log.ts). */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join("[redacted]");
  return out
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, "Bearer [redacted]")
    .replace(/\b(sk|pk|rk)-[A-Za-z0-9_-]{8,}/g, "$1-[redacted]")
    .replace(/(\w+:\/\/)[^/\s:@]+:[^/\s@]+@/g, "$1[redacted]@");
}
