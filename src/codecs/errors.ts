/**
 * An upstream answered with something that is not its API's format (`{}`, `choices:
 * null`, HTML, a chunk without `choices`). Providers turn it into a 502 that is
 * counted as a provider error: the upstream is at fault, not the gateway.
 */
import type { ZodError } from "zod";

export class UpstreamFormatError extends Error {
  constructor(what: string, cause?: ZodError | string) {
    super(`Upstream sent a malformed ${what}${cause ? `: ${describe(cause)}` : ""}`);
    this.name = "UpstreamFormatError";
  }
}

function describe(cause: ZodError | string): string {
  if (typeof cause === "string") return cause.slice(0, 200);
  const issue = cause.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".") || "body";
  return `${path}: ${issue.message}`.slice(0, 200);
}
