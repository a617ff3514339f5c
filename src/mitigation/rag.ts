/**
 * rag: retrieves top-k package statements for the user's task (the last user turn,
 * request boilerplate stripped, in the ecosystem of the language asked for) and appends
 * them to the system prompt in the paper's style ("Package X could answer questions
 * about Y."), which is also the block the testbed model was trained to read. Statements
 * below the relevance threshold are not added, and each one is re-checked as data
 * (src/rag/sanitize.ts) before it goes in. A slow or missing index never fails the
 * request: the answer goes on without context.
 */
import type { ChatMessage, ChatRequest } from "../api/schema.js";
import type { Retriever, RetrievedStatement } from "../rag/types.js";
import { ecosystemOf, taskQuery } from "../rag/query.js";
import { safeStatement } from "../rag/sanitize.js";
import type { Mitigation } from "./types.js";
import type { RagOptions } from "./config.js";
import { render, type Templates } from "./templates.js";
import type { MitigationMetrics } from "./metrics.js";
import { withTimeout } from "./chat.js";

export interface RagDeps {
  retriever: Retriever | undefined;
  options: RagOptions;
  templates: Templates;
  metrics: MitigationMetrics;
}

export function createRag(deps: RagDeps): Mitigation {
  return {
    name: "rag",
    async transformParams({ params, ctx }) {
      const t0 = performance.now();
      const query = taskQuery(params.messages);
      // ctx.ecosystem is the request's header or else the model's default; only a header beats the language asked for.
      const fallback = ctx.model.ecosystem;
      const ecosystem = ecosystemOf(params.messages, { explicit: ctx.ecosystem !== fallback ? ctx.ecosystem : undefined, fallback });
      const done = (verdict: "pass" | "modified" | "error", data: Record<string, unknown>, outcome: string) => {
        const ms = performance.now() - t0;
        deps.metrics.ragLatency.observe({ outcome }, ms / 1000);
        deps.metrics.moduleLatency.observe({ module: "rag" }, ms / 1000);
        ctx.records.push({ module: "rag", verdict, durationMs: Math.round(ms * 100) / 100, data });
      };
      if (!query) {
        done("pass", { skipped: "no user message" }, "skipped");
        return params;
      }
      if (!deps.retriever || !deps.retriever.ready()) {
        done("error", { error: "retriever not available" }, "unavailable");
        return params;
      }
      let statements: RetrievedStatement[];
      try {
        const input = { query, ecosystem, k: deps.options.k, ...(deps.options.mode ? { mode: deps.options.mode } : {}) };
        statements = (await withTimeout(deps.retriever.retrieve(input), deps.options.timeoutMs, "retrieval")).flatMap((s) => {
          const statement = safeStatement(s.statement, s.package);
          return statement ? [{ ...s, statement }] : [];
        });
      } catch (err) {
        done("error", { error: err instanceof Error ? err.message : String(err), ecosystem }, "error");
        return params;
      }
      if (statements.length === 0) {
        done("pass", { ecosystem, query, statements: [] }, "empty");
        return params;
      }
      const block = render(deps.templates["rag.block"], { statements: statements.map((s) => s.statement).join("\n") });
      done("modified", { ecosystem, query, k: deps.options.k, statements: statements.map((s) => ({ package: s.package, score: round(s.score), relevance: s.relevance, statement: s.statement })) }, "ok");
      return withSystemBlock(params, block, deps.templates["rag.system"]);
    },
  };
}

/** Appends the block to the first system/developer message after a blank line, or adds a system message. */
export function withSystemBlock(params: ChatRequest, block: string, defaultSystem: string): ChatRequest {
  const messages = [...params.messages];
  const i = messages.findIndex((m) => m.role === "system" || m.role === "developer");
  if (i < 0) return { ...params, messages: [{ role: "system", content: `${defaultSystem}\n\n${block}` }, ...messages] };
  const m = messages[i]!;
  const content: ChatMessage["content"] =
    typeof m.content === "string" ? `${m.content}\n\n${block}` : [...(m.content ?? []), { type: "text", text: `\n\n${block}` }];
  messages[i] = { ...m, content } as ChatMessage;
  return { ...params, messages };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
