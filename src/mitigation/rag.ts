/**
 * rag: retrieves top-k package statements for the user's task (the last user turn,
 * request boilerplate stripped, in the ecosystem of the language asked for) and adds
 * them to the system prompt in the paper's style ("Package X could answer questions
 * about Y."), which is also the block the testbed model was trained to read; each API's
 * codec writes the system text in its own form. Statements below the relevance
 * threshold are not added, and each one is re-checked as data (src/rag/sanitize.ts)
 * before it goes in. A slow or missing index never fails the request: the answer goes
 * on without context.
 */
import type { ModelCall } from "../core/parts.js";
import type { Retriever, RetrievedStatement } from "../rag/types.js";
import { ecosystemOf, taskQuery } from "../rag/query.js";
import { safeStatement } from "../rag/sanitize.js";
import type { Mitigation, Outcome } from "./types.js";
import type { RagOptions } from "./config.js";
import { render, type Templates } from "./templates.js";
import type { MitigationMetrics } from "./metrics.js";
import { withSystemText, withTimeout } from "./prompt.js";

export interface RagDeps {
  retriever: Retriever | undefined;
  options: RagOptions;
  templates: Templates;
  metrics: MitigationMetrics;
}

export function createRag(deps: RagDeps): Mitigation {
  return {
    name: "rag",
    async transformCall({ call, ctx }) {
      const t0 = performance.now();
      const done = (outcome: string, result: Outcome<ModelCall>): Outcome<ModelCall> => {
        const s = (performance.now() - t0) / 1000;
        deps.metrics.ragLatency.observe({ outcome }, s);
        deps.metrics.moduleLatency.observe({ module: "rag" }, s);
        return result;
      };
      const query = taskQuery(call.prompt);
      // ctx.ecosystem is the request's header or else the model's default; only a header beats the language asked for.
      const fallback = ctx.model.ecosystem;
      const ecosystem = ecosystemOf(call.prompt, { explicit: ctx.ecosystem !== fallback ? ctx.ecosystem : undefined, fallback });
      if (!query) return done("skipped", { verdict: "pass", data: { skipped: "no user message" } });
      if (!deps.retriever || !deps.retriever.ready()) return done("unavailable", { verdict: "error", data: { error: "retriever not available" } });
      let statements: RetrievedStatement[];
      try {
        const input = { query, ecosystem, k: deps.options.k, ...(deps.options.mode ? { mode: deps.options.mode } : {}) };
        statements = (await withTimeout(deps.retriever.retrieve(input), deps.options.timeoutMs, "retrieval")).flatMap((s) => {
          const statement = safeStatement(s.statement, s.package);
          return statement ? [{ ...s, statement }] : [];
        });
      } catch (err) {
        return done("error", { verdict: "error", data: { error: err instanceof Error ? err.message : String(err), ecosystem } });
      }
      if (statements.length === 0) return done("empty", { verdict: "pass", data: { ecosystem, query, statements: [] } });
      const block = render(deps.templates["rag.block"], { statements: statements.map((s) => s.statement).join("\n") });
      const data = {
        ecosystem, query, k: deps.options.k,
        statements: statements.map((s) => ({ package: s.package, score: round(s.score), relevance: s.relevance, statement: s.statement })),
      };
      return done("ok", { verdict: "modified", data, transformed: withSystemText(call, block, deps.templates["rag.system"]) });
    },
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
