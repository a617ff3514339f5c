/** Reading and editing a call's prompt: what several mitigations need, on parts. */
import type { Message, ModelCall, TextPart } from "../core/parts.js";
import type { Ecosystem } from "../packages/types.js";
import type { MitigationContext } from "./types.js";

function textOfMessage(m: Message): string {
  let out = "";
  for (const p of m.content) if (p.type === "text") out += p.text;
  return out;
}

/** The last user turn's text: the task, without the system prompt or earlier turns. */
export function lastUserText(call: ModelCall): string {
  for (let i = call.prompt.length - 1; i >= 0; i--) {
    const m = call.prompt[i]!;
    if (m.role === "user") return textOfMessage(m);
  }
  return call.completion?.prompt ?? "";
}

export function systemText(call: ModelCall): string {
  return call.prompt.filter((m) => m.role === "system").map(textOfMessage).join("\n");
}

// The paper's H2/H3 prompts and the testbed's listing prompts ask for a bare list of names.
const LIST_ASK = /\b(which|what|list|recommend|suggest)\b[^.?!\n]{0,80}\b(packages|libraries|modules)\b/i;
const LIST_ONLY = /\b(only|just)\s+(a|the)\s+list\s+of\b[^.\n]{0,40}\bpackages\b/i;

/** Whether the conversation asks for a list of packages, so a one-name answer is a package. */
export function asksForList(call: ModelCall): boolean {
  return LIST_ONLY.test(systemText(call)) || LIST_ASK.test(lastUserText(call));
}

const NPM_HINT = /\b(npm|node(\.?js)?|javascript|typescript|react|yarn|pnpm|require\(|deno|bun)\b/i;
const PY_HINT = /\b(python|pip|pypi|django|flask|pandas|numpy|jupyter)\b/i;

/** The request's ecosystem: set on the context (header or model config), or guessed from the conversation. */
export function resolveEcosystem(ctx: MitigationContext, call: ModelCall): Ecosystem | undefined {
  if (ctx.ecosystem) return ctx.ecosystem;
  const text = call.prompt.map(textOfMessage).join("\n");
  const npm = NPM_HINT.test(text);
  const py = PY_HINT.test(text);
  if (npm && !py) return "npm";
  if (py && !npm) return "pypi";
  return undefined;
}

/**
 * Appends `block` to the first system message after a blank line, or adds a system
 * message (`defaultSystem` + block) at the start. Each API's codec writes it in its own
 * form (`system`, `instructions`, a system message).
 */
export function withSystemText(call: ModelCall, block: string, defaultSystem: string): ModelCall {
  const prompt = [...call.prompt];
  const i = prompt.findIndex((m) => m.role === "system");
  if (i < 0) return { ...call, prompt: [{ role: "system", content: [{ type: "text", text: `${defaultSystem}\n\n${block}` }] }, ...prompt] };
  const m = prompt[i] as Extract<Message, { role: "system" }>;
  const content: TextPart[] = [...m.content, { type: "text", text: `${m.content.length ? "\n\n" : ""}${block}` }];
  prompt[i] = { ...m, content };
  return { ...call, prompt };
}

/** Rejects after `ms` so a slow dependency cannot hold a request forever. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
