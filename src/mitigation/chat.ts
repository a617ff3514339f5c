/** Small helpers over the OpenAI wire types that several mitigations share. */
import type { ChatCompletion, ChatCompletionChunk, ChatMessage, ChatRequest, FinishReason, Usage } from "../api/schema.js";
import { messageText } from "../api/schema.js";
import type { Ecosystem } from "../packages/types.js";
import type { MitigationContext } from "./types.js";

export function completionText(c: ChatCompletion): string {
  return c.choices[0]?.message.content ?? "";
}

export function withContent(c: ChatCompletion, content: string, finish?: FinishReason): ChatCompletion {
  const [first, ...rest] = c.choices;
  if (!first) return { ...c, choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish ?? "stop" }] };
  return { ...c, choices: [{ ...first, message: { ...first.message, content }, finish_reason: finish ?? first.finish_reason }, ...rest] };
}

export function addUsage(a: Usage | undefined, b: Usage | undefined | null): Usage | undefined {
  if (!b) return a;
  if (!a) return { prompt_tokens: b.prompt_tokens, completion_tokens: b.completion_tokens, total_tokens: b.total_tokens };
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

/** Drains a stream into one completion (content concatenated), keeping the raw chunks. */
export async function collectStream(stream: AsyncIterable<ChatCompletionChunk>): Promise<{ completion: ChatCompletion; chunks: ChatCompletionChunk[] }> {
  const chunks: ChatCompletionChunk[] = [];
  let content = "";
  let finish: FinishReason | null = null;
  let usage: Usage | undefined;
  for await (const chunk of stream) {
    chunks.push(chunk);
    const choice = chunk.choices[0];
    if (choice?.delta.content) content += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  const head = chunks[0];
  const completion: ChatCompletion = {
    id: head?.id ?? "chatcmpl-slopguard",
    object: "chat.completion",
    created: head?.created ?? Math.floor(Date.now() / 1000),
    model: head?.model ?? "unknown",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish ?? "stop" }],
    ...(usage ? { usage } : {}),
  };
  return { completion, chunks };
}

export function chunkOf(base: { id: string; created: number; model: string }, delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null = null): ChatCompletionChunk {
  return { id: base.id, object: "chat.completion.chunk", created: base.created, model: base.model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** Replays a finished completion as a stream: role, content, finish, then usage if any. */
export function* completionToChunks(c: ChatCompletion, includeUsage: boolean): Generator<ChatCompletionChunk> {
  const choice = c.choices[0];
  yield chunkOf(c, { role: "assistant", content: "" });
  const content = choice?.message.content ?? "";
  if (content) yield chunkOf(c, { content });
  yield chunkOf(c, {}, choice?.finish_reason ?? "stop");
  if (includeUsage && c.usage) yield { ...chunkOf(c, {}), choices: [], usage: c.usage };
}

export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === "user") return messageText(m.content);
  }
  return "";
}

// The paper's H2/H3 prompts and the testbed's listing prompts ask for a bare list of names.
const LIST_ASK = /\b(which|what|list|recommend|suggest)\b[^.?!\n]{0,80}\b(packages|libraries|modules)\b/i;
const LIST_ONLY = /\b(only|just)\s+(a|the)\s+list\s+of\b[^.\n]{0,40}\bpackages\b/i;

/** Whether the conversation asks for a list of packages, so a one-name answer is a package. */
export function asksForList(params: ChatRequest): boolean {
  const system = params.messages.filter((m) => m.role === "system" || m.role === "developer").map((m) => messageText(m.content));
  return LIST_ONLY.test(system.join("\n")) || LIST_ASK.test(lastUserText(params.messages));
}

const NPM_HINT = /\b(npm|node(\.?js)?|javascript|typescript|react|yarn|pnpm|require\(|deno|bun)\b/i;
const PY_HINT = /\b(python|pip|pypi|django|flask|pandas|numpy|jupyter)\b/i;

/** The request's ecosystem: set on the context, the model's, or guessed from the conversation. */
export function resolveEcosystem(ctx: MitigationContext, params: ChatRequest): Ecosystem | undefined {
  if (ctx.ecosystem) return ctx.ecosystem;
  if (ctx.model.ecosystem) return ctx.model.ecosystem;
  const text = params.messages.map((m) => messageText(m.content ?? "")).join("\n");
  const npm = NPM_HINT.test(text);
  const py = PY_HINT.test(text);
  if (npm && !py) return "npm";
  if (py && !npm) return "pypi";
  return undefined;
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
