/**
 * constrain: asks a local provider to hold every package name the model writes to the name
 * lists while it decodes (install commands, imports, package lists, requirements and
 * package.json lines, tool-call arguments). The request travels on `ctx.constrain`, which the
 * chat service passes to the provider as `CallOptions.constrain`; the provider writes what it
 * did into the request's report, recorded here once the answer is complete. Verify still
 * runs after it: constraining keeps names real, verify still flags risky real ones.
 */
import type { ChatCompletion, ChatCompletionChunk } from "../../api/schema.js";
import type { Snapshot } from "../../packages/snapshot.js";
import { resolveEcosystem } from "../chat.js";
import type { Mitigation, MitigationContext, MitigationRecord } from "../types.js";
import type { ConstrainOptions } from "./config.js";
import { nameListsFor } from "./names.js";
import { emptyReport, type ConstrainRequest } from "./request.js";

export { ConstrainOptionsSchema, type ConstrainOptions } from "./config.js";
export type { ConstrainRequest, ConstrainReport } from "./request.js";

/** The model's provider cannot constrain decoding and the options say `error`. */
export class ConstrainUnsupportedError extends Error {
  readonly status = 400;
  readonly type = "invalid_request_error";
  readonly param = "profile";
  readonly code = "constrain_unsupported";
}

export function unsupportedMessage(args: { model: string; provider: string; profile: string }): string {
  return (
    `profile '${args.profile}' constrains decoding, which only local models support; model '${args.model}' uses provider ` +
    `'${args.provider}'. Choose another profile (e.g. 'repair'), or set mitigation.constrain.remote to 'fallback' or 'skip'.`
  );
}

export function createConstrain(deps: { snapshot: () => Snapshot; options: ConstrainOptions }): Mitigation {
  const records = new WeakMap<MitigationContext, MitigationRecord>();
  const record = (ctx: MitigationContext, started: number) => {
    const report = ctx.constrain?.report;
    if (!report) return;
    const data = {
      generations: report.generations,
      tokens: report.tokens,
      constrained_tokens: report.constrainedTokens,
      resamples: report.resamples,
      names: report.names,
      leaks: report.leaks,
      cut_short: report.cut,
      gave_up: report.giveUps,
      decide_ms: Math.round(report.ms * 100) / 100,
    };
    // Self-refine generates several times through this module: one record, kept up to date.
    const existing = records.get(ctx);
    const verdict = report.resamples > 0 ? "modified" : "pass";
    if (existing) Object.assign(existing, { verdict, data, durationMs: existing.durationMs + performance.now() - started });
    else {
      const rec: MitigationRecord = { module: "constrain", verdict, durationMs: performance.now() - started, data };
      records.set(ctx, rec);
      ctx.records.push(rec);
    }
  };
  return {
    name: "constrain",
    async transformParams({ params, ctx }) {
      if (ctx.model.provider !== "local") {
        throw new ConstrainUnsupportedError(unsupportedMessage({ model: ctx.model.name, provider: ctx.model.provider, profile: ctx.profile }));
      }
      if (!ctx.constrain) {
        const request: ConstrainRequest = {
          lists: nameListsFor(deps.snapshot(), deps.options),
          options: deps.options,
          ecosystem: resolveEcosystem(ctx, params),
          report: emptyReport(),
        };
        ctx.constrain = request;
      }
      return params;
    },
    async wrapGenerate({ doGenerate, params, ctx }): Promise<ChatCompletion> {
      const t0 = performance.now();
      const out = await doGenerate(params);
      record(ctx, t0);
      return out;
    },
    async *wrapStream({ doStream, params, ctx }): AsyncIterable<ChatCompletionChunk> {
      const t0 = performance.now();
      yield* doStream(params);
      record(ctx, t0);
    },
  };
}

/** Stands in for `constrain` on a remote model when the options say `fallback` or `skip`: the report says so. */
export function createConstrainSkipped(data: { reason: string; fallback?: string }): Mitigation {
  const seen = new WeakSet<MitigationContext>();
  return {
    name: "constrain",
    async transformParams({ params, ctx }) {
      // Self-refine passes through here once per round: one record.
      if (seen.has(ctx)) return params;
      seen.add(ctx);
      ctx.records.push({ module: "constrain", verdict: "pass", durationMs: 0, data: { skipped: data.reason, ...(data.fallback ? { fallback: data.fallback } : {}) } });
      return params;
    },
  };
}
