/**
 * Optional gateway API keys. Keys are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither the key contents nor its length leak through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { ApiError } from "./errors.js";

const digest = (s: string) => createHash("sha256").update(s).digest();

export function bearerAuth(apiKeys: readonly string[]): RequestHandler {
  const digests = apiKeys.map(digest);
  return (req, _res, next) => {
    if (digests.length === 0) return next();
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    // Anthropic's clients (SDKs, Claude Code) send the key as `x-api-key`.
    const apiKey = req.get("x-api-key")?.trim();
    const given = digest(match?.[1]?.trim() ?? apiKey ?? "");
    // Compare against every key so the time does not depend on which one matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (ok) return next();
    next(
      new ApiError(401, match || apiKey ? "Incorrect API key provided." : "You didn't provide an API key. Use an 'Authorization: Bearer <key>' or 'x-api-key: <key>' header.", {
        code: "invalid_api_key",
      }),
    );
  };
}
