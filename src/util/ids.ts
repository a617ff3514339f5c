import { randomBytes } from "node:crypto";

/** Short, URL-safe, unique enough for correlating log lines and responses. */
export function newRequestId(): string {
  return `req_${randomBytes(9).toString("base64url")}`;
}

export function newCompletionId(): string {
  return `chatcmpl-${randomBytes(12).toString("base64url")}`;
}
