import { createHash } from "node:crypto";

/** Hashes an API key so that neither Redis nor logs ever hold the secret itself. */
export function rateLimitSubject(apiKey: string): string {
  return `key:${createHash("sha256").update(apiKey).digest("hex").slice(0, 24)}`;
}
