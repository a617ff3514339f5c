/**
 * From a chat request to a retrieval query: the user's task is the last user turn (not the
 * system prompt, not earlier turns), with the request boilerplate around it removed
 * ("Generate Python code that …", "Which npm packages would be useful in solving the
 * following coding problem: …", "I need a library for …"); the ecosystem is the language
 * the request asks for.
 */
import type { Ecosystem } from "../packages/types.js";

/** The slice of an OpenAI-style message this module reads. */
export interface TurnLike {
  role: string;
  content?: unknown;
}

const MAX_QUERY = 2000;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((p) => (p && typeof p === "object" && (p as { type?: unknown }).type === "text" ? String((p as { text?: unknown }).text ?? "") : ""))
    .join("\n");
}

const LANG = String.raw`(?:python(?:\s*3)?|javascript|typescript|js|ts|node(?:\.?js)?|npm|pypi)`;
// Openers of a request, longest first; each ends where the task starts.
const OPENERS: RegExp[] = [
  new RegExp(String.raw`^which\s+(?:${LANG}\s+)?(?:packages|libraries|modules)\s+(?:from\s+\w+\s+)?would\s+be\s+useful\s+(?:in|for)\s+solving\s+the\s+following\s+(?:coding\s+)?problem\s*:\s*`, "i"),
  new RegExp(String.raw`^(?:(?:now|then|also|next|ok(?:ay)?|and)[,\s]+)?(?:please\s+)?(?:generate|write|create|give\s+me|show\s+me|produce)\s+(?:some\s+|a\s+|an\s+|the\s+)?(?:${LANG}\s+)?(?:code|script|program|function|snippet|class|module|example)s?\s+(?:that|which|to|for|in\s+which)\s+`, "i"),
  /^i\s+need\s+(?:a|an|some)\s+(?:library|package|module|tool)s?\s+(?:for|to|that)\s+/i,
  /^(?:how\s+(?:do|can|should|would)\s+(?:i|you|we|one)|what\s+is\s+the\s+best\s+way\s+to|is\s+there\s+a\s+way\s+to|can\s+you\s+(?:show\s+me\s+how\s+to|help\s+me)|help\s+me|i\s+(?:want|need|would\s+like)(?:\s+to)?|i\s+am\s+looking\s+for)\s+/i,
  /^(?:which|what)\s+(?:library|package|module)\s+(?:should\s+i\s+use\s+)?(?:for|to)\s+/i,
];
const LANG_PREFIX = new RegExp(String.raw`^(?:in\s+)?${LANG}\s*[:,-]\s*`, "i");
const LANG_SUFFIX = new RegExp(String.raw`\s+(?:in|with|using|for)\s+(?:a\s+)?${LANG}(?:\s+(?:script|code|app|application|project|cli|server))?\s*(?=[?.!]*$)`, "i");

/** The task without request boilerplate; unchanged when no known form matches. */
export function normaliseQuery(text: string): string {
  let q = text.replace(/\s+/g, " ").trim().slice(0, MAX_QUERY);
  q = q.replace(LANG_PREFIX, "");
  for (const re of OPENERS) q = q.replace(re, "");
  q = q.replace(LANG_SUFFIX, "").replace(/[?.!\s]+$/, "");
  return q || text.trim().slice(0, MAX_QUERY);
}

function lastUserTurn(messages: readonly TurnLike[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === "user") return textOf(messages[i]!.content);
  }
  return "";
}

/** The retrieval query of a conversation: the last user turn, normalised ("" if there is none). */
export function taskQuery(messages: readonly TurnLike[]): string {
  const turn = lastUserTurn(messages).trim();
  return turn ? normaliseQuery(turn) : "";
}

const NPM = /\b(?:npm|node(?:\.?js)?|javascript|typescript|js|ts|react|vue|angular|svelte|express|deno|bun|yarn|pnpm)\b|require\(/i;
const PY = /\b(?:python\s*3?|pip|pypi|django|flask|pandas|numpy|jupyter|pytest|conda)\b/i;

function languageOf(text: string): Ecosystem | undefined {
  const npm = NPM.test(text);
  const py = PY.test(text);
  if (npm === py) return undefined;
  return npm ? "npm" : "pypi";
}

/**
 * The ecosystem of the language asked for: an explicit one (the request's
 * `X-Slopguard-Ecosystem`) wins; then the last user turn ("Generate JavaScript code that
 * …"), then the system prompt ("You recommend Python packages …"), then the fallback (the
 * model's configured ecosystem). Undefined when nothing says, or both languages are named.
 */
export function ecosystemOf(
  messages: readonly TurnLike[],
  opts: { explicit?: Ecosystem | undefined; fallback?: Ecosystem | undefined } = {},
): Ecosystem | undefined {
  if (opts.explicit) return opts.explicit;
  const fromTurn = languageOf(lastUserTurn(messages));
  if (fromTurn) return fromTurn;
  const system = messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => textOf(m.content)).join("\n");
  return languageOf(system) ?? opts.fallback;
}
