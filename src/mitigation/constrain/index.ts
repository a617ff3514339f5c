/**
 * constrain: asks a local provider to hold every package name the model writes to the name
 * lists while it decodes (install commands, imports, package lists, requirements and
 * package.json lines, tool-call arguments). The request is a plain value on the call
 * (`call.constrain`); the provider returns what it did in the answer's
 * `metadata.constrain` (the finish part's, in a stream), which becomes this module's
 * record. Verify still runs after it: constraining keeps names real, verify still flags
 * risky real ones.
 *
 * Listed before self-refine (as `ensemble` does), it constrains every regeneration (they
 * copy the call) but not self-detection's yes/no questions (fresh calls), and its record
 * is the report of the generation the client gets.
 */
import type { ModelConfig } from "../../config/schema.js";
import type { ConstrainRequest, ModelCall } from "../../core/parts.js";
import type { Mitigation, Outcome } from "../types.js";
import { asksForList, resolveEcosystem } from "../prompt.js";
import { decodeRequest, type ConstrainOptions } from "./config.js";
import { reportIn } from "./request.js";

export { ConstrainOptionsSchema, type ConstrainOptions } from "./config.js";
export type { ConstrainReport } from "./request.js";

/** The model's provider cannot constrain decoding and the options say `error`. */
export class ConstrainUnsupportedError extends Error {
  readonly status = 400;
  readonly type = "invalid_request_error";
  readonly param = "profile";
  readonly code = "constrain_unsupported";
}

/** Only the local provider owns its decoding loop (its `capabilities.constrain`); every remote API samples on its side. */
export function canConstrain(model: Pick<ModelConfig, "provider">): boolean {
  return model.provider === "local";
}

export function unsupportedMessage(args: { model: string; provider: string; profile: string }): string {
  return (
    `profile '${args.profile}' constrains decoding, which only local models support; model '${args.model}' uses provider ` +
    `'${args.provider}'. Choose another profile (e.g. 'repair'), or set mitigation.constrain.remote to 'fallback' or 'skip'.`
  );
}

export function skipReason(model: Pick<ModelConfig, "name" | "provider">): string {
  return `model '${model.name}' uses provider '${model.provider}': constrained decoding needs a local model`;
}

export function createConstrain(deps: { options: ConstrainOptions }): Mitigation {
  return {
    name: "constrain",
    async transformCall({ call, ctx }) {
      if (!canConstrain(ctx.model)) {
        throw new ConstrainUnsupportedError(unsupportedMessage({ model: ctx.model.name, provider: ctx.model.provider, profile: ctx.profile }));
      }
      // Asking is not yet modifying: the verdict comes from what the decoder had to do.
      const constrain = decodeRequest(deps.options, { ecosystem: resolveEcosystem(ctx, call), list: asksForList(call), document: documentOf(call) });
      return { verdict: "pass", transformed: { ...call, constrain } };
    },
    async wrapGenerate({ doGenerate, call }) {
      const { generation } = await doGenerate(call);
      return outcomeOf(generation.metadata);
    },
    async *wrapStream({ doStream, call }) {
      let metadata: Record<string, unknown> | undefined;
      for await (const part of doStream(call)) {
        if (part.type === "finish") metadata = part.metadata;
        yield part;
      }
      return outcomeOf(metadata);
    },
  };
}

/** A text completion of a Python, JavaScript/TypeScript, requirements or package.json file is that from its first character. */
function documentOf(call: ModelCall): ConstrainRequest["document"] {
  const language = call.completion?.language;
  if (language === "python" || language === "requirements" || language === "package_json") return language;
  return language === "javascript" || language === "typescript" ? "javascript" : undefined;
}

function outcomeOf(metadata: Record<string, unknown> | undefined): Outcome<never> {
  const r = reportIn(metadata);
  if ("error" in r) return { verdict: "error", data: { error: r.error } };
  const { report } = r;
  return {
    // Under `always` every token in a name was sampled under the bias, so whether one changed is unknown: counted as modified.
    verdict: report.resamples > 0 || (report.strategy === "always" && report.constrainedTokens > 0) ? "modified" : "pass",
    data: {
      strategy: report.strategy,
      tokens: report.tokens,
      constrained_tokens: report.constrainedTokens,
      resamples: report.resamples,
      names: report.names,
      leaks: report.leaks,
      cut_short: report.cut,
      gave_up: report.giveUps,
      decide_ms: Math.round(report.ms * 100) / 100,
    },
  };
}

/** Stands in for `constrain` on a remote model when the options say `fallback` or `skip`: the report says so. */
export function createConstrainSkipped(data: { reason: string; fallback?: string }): Mitigation {
  return {
    name: "constrain",
    async transformCall() {
      return { verdict: "pass", data: { skipped: data.reason, ...(data.fallback ? { fallback: data.fallback } : {}) } };
    },
  };
}
