/**
 * The mitigation pipeline factory. The gateway builds one at startup; the chat route
 * resolves a profile per request and gets that profile's mitigations, ready for
 * `wrapModel` (compose.ts). Verify is always first (outermost: it sees the final
 * answer), whatever the profile lists; `repair` adds self-refine innermost when the
 * profile has none.
 */
import type { Registry } from "prom-client";
import type { ModelConfig } from "../config/schema.js";
import type { PackageChecker } from "../packages/types.js";
import type { Retriever } from "../rag/types.js";
import type { Mitigation } from "./types.js";
import {
  DEFAULT_PROFILES,
  MitigationConfigSchema,
  type MitigationConfig,
  type ProfileEntry,
  RagOptionsSchema,
  SelfRefineOptionsSchema,
  VerifyOptionsSchema,
} from "./config.js";
import { resolveTemplates, unknownTemplateKeys } from "./templates.js";
import { createMitigationMetrics, type MitigationMetrics } from "./metrics.js";
import { createVerify } from "./verify/index.js";
import { createSelfRefine } from "./self-refine.js";
import { createRag } from "./rag.js";
import { adapterFor, createAdapter } from "./adapter.js";
import { createTemperatureClamp } from "./temperature-clamp.js";
import { canConstrain, ConstrainOptionsSchema, ConstrainUnsupportedError, createConstrain, createConstrainSkipped, skipReason, unsupportedMessage } from "./constrain/index.js";

export { wrapModel } from "./compose.js";
export type { SlopguardReport } from "./report.js";

/** A bad profile choice in a request; the route answers 400 with an OpenAI-style error. */
export class ProfileError extends Error {
  readonly status = 400;
  readonly type = "invalid_request_error";
  constructor(message: string, readonly param: string, readonly code = "invalid_profile") {
    super(message);
    this.name = "ProfileError";
  }
}

export interface MitigationPipeline {
  readonly metrics: MitigationMetrics;
  profiles(): string[];
  /** Header first, then the model-name suffix, then the model's configured profile. */
  resolveProfile(args: { model: ModelConfig; header?: string | string[] | undefined; suffix?: string | undefined }): string;
  forRequest(args: { model: ModelConfig; profile: string }): Mitigation[];
}

export interface MitigationPipelineDeps {
  config?: MitigationConfig;
  checker: PackageChecker;
  retriever?: Retriever | undefined;
  /** Checked at startup: their profiles exist, their template overrides are known keys. */
  models?: ModelConfig[];
  /** The gateway's prom-client registry (src/metrics); a private one when left out. */
  registry?: Registry;
}

export function createMitigationPipeline(deps: MitigationPipelineDeps): MitigationPipeline {
  const config = deps.config ?? MitigationConfigSchema.parse({});
  // A Map, not an object: a client's profile name (`constructor`, `__proto__`) must never reach a prototype.
  const profiles = new Map<string, ProfileEntry[]>([...Object.entries(DEFAULT_PROFILES), ...Object.entries(config.profiles)]);
  const known = () => [...profiles.keys()].join(", ");
  const metrics = createMitigationMetrics(deps.registry);
  for (const model of deps.models ?? []) validateModel(model, profiles);

  // --- constrain (issue 15): options per entry; a model that cannot constrain errors, falls back or skips ---
  const constrainOptions = (entry: ProfileEntry) => ConstrainOptionsSchema.parse({ ...config.constrain, ...omitModule(entry) });

  /** A profile with `constrain` on a model that cannot constrain: throws (`error`), or the fallback's list (`fallback`). */
  const withoutConstrain = (model: ModelConfig, profile: string, entries: ProfileEntry[], fallbackFrom?: string): Mitigation[] | undefined => {
    const entry = entries.find((e) => e.module === "constrain");
    if (!entry || canConstrain(model)) return undefined;
    const opts = constrainOptions(entry);
    if (opts.remote === "error" || (opts.remote === "fallback" && fallbackFrom)) {
      throw new ConstrainUnsupportedError(unsupportedMessage({ model: model.name, provider: model.provider, profile: fallbackFrom ?? profile }));
    }
    if (opts.remote !== "fallback") return undefined;
    // Right inside verify, so its one record comes first, whatever the fallback repeats inside.
    const [verify, ...rest] = build(model, opts.fallbackProfile, profile);
    return [verify!, createConstrainSkipped({ reason: skipReason(model), fallback: opts.fallbackProfile }), ...rest];
  };

  const build = (model: ModelConfig, profile: string, fallbackFrom?: string): Mitigation[] => {
    const entries = profiles.get(profile);
    if (!entries) throw new ProfileError(`unknown mitigation profile '${profile}'; known: ${known()}`, "profile");
    const fallback = withoutConstrain(model, profile, entries, fallbackFrom);
    if (fallback) return fallback;
    const templates = resolveTemplates(config.templates, model.templates);
    const verifyEntry = entries.find((e) => e.module === "verify");
    const verifyOptions = VerifyOptionsSchema.parse({ ...config.verify, ...omitModule(verifyEntry) });
    const list: Mitigation[] = [createVerify({ checker: deps.checker, options: verifyOptions, templates, metrics })];
    const rest = entries.filter((e) => e.module !== "verify");
    if (verifyOptions.policy === "repair" && !rest.some((e) => e.module === "self-refine")) rest.push({ module: "self-refine" });
    for (const entry of rest) {
      const opts = omitModule(entry);
      switch (entry.module) {
        case "temperature-clamp":
          list.push(createTemperatureClamp({ ...config.temperatureClamp, ...opts } as { max: number }));
          break;
        case "rag":
          list.push(createRag({ retriever: deps.retriever, options: RagOptionsSchema.parse({ ...config.rag, ...opts }), templates, metrics }));
          break;
        case "adapter":
          list.push(createAdapter(opts as { name?: string }));
          break;
        case "constrain":
          list.push(canConstrain(model) ? createConstrain({ options: constrainOptions(entry) }) : createConstrainSkipped({ reason: skipReason(model) }));
          break;
        case "self-refine":
          list.push(createSelfRefine({
            checker: deps.checker,
            options: SelfRefineOptionsSchema.parse({ ...config.selfRefine, ...opts }),
            templates,
            metrics,
            checkTimeoutMs: verifyOptions.checkTimeoutMs,
            // Repair aims at what verify will let through: with blockUnknown, unverifiable names too.
            unknownInvalid: verifyOptions.policy !== "annotate" && verifyOptions.blockUnknown,
          }));
          break;
      }
    }
    return list;
  };

  // A model's own profile must be one it can run: a remote model cannot default to constrained decoding that errors.
  for (const model of deps.models ?? []) build(model, model.profile);

  return {
    metrics,
    profiles: () => [...profiles.keys()],
    resolveProfile({ model, header, suffix }) {
      const fromHeader = Array.isArray(header) ? header[0] : header;
      const requested = fromHeader?.trim() || suffix?.trim();
      if (!requested) return model.profile;
      if (!config.allowRequestProfile) throw new ProfileError("this gateway does not let requests choose a mitigation profile", "profile", "profile_not_allowed");
      if (!profiles.has(requested)) throw new ProfileError(`unknown mitigation profile '${requested.slice(0, 64)}'; known: ${known()}`, fromHeader ? "X-Slopguard-Profile" : "model");
      return requested;
    },
    forRequest: ({ model, profile }) => build(model, profile),
  };
}

function omitModule(entry: ProfileEntry | undefined): Record<string, unknown> {
  if (!entry) return {};
  const { module: _m, ...rest } = entry as Record<string, unknown>;
  return rest;
}

function validateModel(model: ModelConfig, profiles: Map<string, ProfileEntry[]>): void {
  const entries = profiles.get(model.profile);
  if (!entries) throw new Error(`model '${model.name}': unknown mitigation profile '${model.profile}'`);
  const unknown = unknownTemplateKeys(model.templates);
  if (unknown.length) throw new Error(`model '${model.name}': unknown template keys ${unknown.join(", ")}`);
  for (const e of entries) {
    if (e.module !== "adapter" || !("name" in e) || !e.name) continue;
    const choice = adapterFor(model, e.name);
    if (choice.skipped && model.provider === "local") throw new Error(`model '${model.name}', profile '${model.profile}': ${choice.skipped}`);
  }
}
