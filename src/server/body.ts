/**
 * Request body limits beyond the byte limit. `JSON.parse` accepts any nesting depth,
 * but everything after it that walks the body recursively (zod, structured clone,
 * JSON.stringify of the upstream request) overflows the stack at a few thousand
 * levels, and that surfaced as a 502 blamed on the upstream. The depth is checked
 * once, iteratively, right after parsing: O(number of values), no recursion, and a
 * normal chat request (depth < 10) costs a few microseconds.
 */
import type { RequestHandler } from "express";
import { ApiError } from "./errors.js";

/** Deeper than any real chat request (JSON-schema tools nest ~10–20 levels), far below a stack overflow. */
export const MAX_BODY_DEPTH = 64;

/** True when `value` has containers nested more than `max` levels deep. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const stack: Array<{ v: object; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === "object" && c !== null) stack.push({ v: c, depth: depth + 1 });
  }
  return false;
}

export function rejectDeepBodies(max = MAX_BODY_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (!nestedDeeperThan(req.body, max)) return next();
    next(new ApiError(400, `The request body is nested more than ${max} levels deep.`, { code: "body_too_deep" }));
  };
}
