import { randomBytes } from "node:crypto";

// One randomBytes call per id was ~1 % of the gateway's CPU per proxied request (profiled);
// ids are cut from a pooled buffer instead. Still CSPRNG bytes, never reused.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

function random(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}

/** Short, URL-safe, unique enough for correlating log lines and responses. */
export function newRequestId(): string {
  return `req_${random(9).toString("base64url")}`;
}

export function newCompletionId(): string {
  return `chatcmpl-${random(12).toString("base64url")}`;
}

export function newToolCallId(): string {
  return `call_${random(12).toString("base64url")}`;
}

/** Anthropic's Messages ids (`msg_…`, `toolu_…`). */
export function newMessageId(): string {
  return `msg_${random(12).toString("base64url")}`;
}

export function newToolUseId(): string {
  return `toolu_${random(12).toString("base64url")}`;
}

/** Legacy completions (`text_completion`) ids. */
export function newTextCompletionId(): string {
  return `cmpl-${random(12).toString("base64url")}`;
}
