/**
 * The mitigation pipeline factory. The gateway builds one at startup; the chat route
 * resolves a profile per request and gets that profile's mitigations, ready for
 * `wrapModel` (compose.ts). Verify is always first (outermost: it sees the final
 * answer), whatever the profile lists; `repair` adds self-refine innermost when the
 * profile has none.
 */
import type { Registry } from "prom-client";
import type { ModelConfig } from "../config/schema.js";
import type { Ecosystem, PackageChecker } from "../packages/types.js";
import type { Retriever } from "../rag/types.js";
import type { Mitigation, MitigationContext } from "./types.js";
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
import { createVerify } from "./verify.js";
import { createSelfRefine } from "./self-refine.js";
import { createRag } from "./rag.js";
import { adapterFor, createAdapter } from "./adapter.js";
import { createTemperatureClamp } from "./temperature-clamp.js";
import { ConstrainOptionsSchema, ConstrainUnsupportedError, createConstrain, createConstrainSkipped, unsupportedMessage } from "./constrain/index.js";
import { defaultSnapshot, type Snapshot } from "../packages/snapshot.js";

export { wrapModel } from "./compose.js";
export type { SlopguardReport } from "./report.js";

export const PROFILE_HEADER = "x-slopguard-profile";

/** A bad profile choice in a request; the route answers 400 with an OpenAI-style error. */
export class ProfileError extends Error {
  readonly status = 400;
  readonly type = "invalid_request_error";
  constructor(message: string, readonly param: string, readonly code = "invalid_profile") {
    super(message);
    this.name = "ProfileError";
  }
}

/** `gpt-x:ensemble` → model `gpt-x`, profile `ensemble` (model names cannot contain ':'). */
export function splitModelProfile(requested: string): { model: string; profile?: string } {
  const i = requested.indexOf(":");
  if (i < 0) return { model: requested };
  return { model: requested.slice(0, i), profile: requested.slice(i + 1) };
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
  const profiles: Record<string, ProfileEntry[]> = { ...DEFAULT_PROFILES, ...config.profiles };
  const metrics = createMitigationMetrics(deps.registry);
  for (const model of deps.models ?? []) validateModel(model, profiles);

  // --- constrain (issue 15): options per entry; the snapshot only when a constrained profile is used ---
  const constrainOptions = (entry: ProfileEntry) => ConstrainOptionsSchema.parse({ ...config.constrain, ...omitModule(entry) });
  const snapshot = (): Snapshot => (deps.checker as Partial<{ snapshot: Snapshot }>).snapshot ?? defaultSnapshot();

  const build = (model: ModelConfig, profile: string, fallbackFrom?: string): Mitigation[] => {
    const entries = profiles[profile];
    if (!entries) throw new ProfileError(`unknown mitigation profile '${profile}'; known: ${Object.keys(profiles).join(", ")}`, "profile");
    const constrainEntry = entries.find((e) => e.module === "constrain");
    if (constrainEntry && model.provider !== "local") {
      const opts = constrainOptions(constrainEntry);
      const reason = `model '${model.name}' uses provider '${model.provider}': constrained decoding needs a local model`;
      if (opts.remote === "error" || (opts.remote === "fallback" && fallbackFrom)) {
        throw new ConstrainUnsupportedError(unsupportedMessage({ model: model.name, provider: model.provider, profile: fallbackFrom ?? profile }));
      }
      if (opts.remote === "fallback") return [...build(model, opts.fallbackProfile, profile), createConstrainSkipped({ reason, fallback: opts.fallbackProfile })];
    }
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
          list.push(
            model.provider === "local"
              ? createConstrain({ snapshot, options: constrainOptions(entry) })
              : createConstrainSkipped({ reason: `model '${model.name}' uses provider '${model.provider}': constrained decoding needs a local model` }),
          );
          break;
        case "self-refine":
          list.push(createSelfRefine({
            checker: deps.checker,
            options: SelfRefineOptionsSchema.parse({ ...config.selfRefine, ...opts }),
            templates,
            metrics,
            checkTimeoutMs: verifyOptions.checkTimeoutMs,
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
    profiles: () => Object.keys(profiles),
    resolveProfile({ model, header, suffix }) {
      const fromHeader = Array.isArray(header) ? header[0] : header;
      const requested = fromHeader?.trim() || suffix?.trim();
      if (!requested) return model.profile;
      if (!config.allowRequestProfile) throw new ProfileError("this gateway does not let requests choose a mitigation profile", "profile", "profile_not_allowed");
      if (!profiles[requested]) throw new ProfileError(`unknown mitigation profile '${requested}'; known: ${Object.keys(profiles).join(", ")}`, fromHeader ? "X-Slopguard-Profile" : "model");
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

function validateModel(model: ModelConfig, profiles: Record<string, ProfileEntry[]>): void {
  const entries = profiles[model.profile];
  if (!entries) throw new Error(`model '${model.name}': unknown mitigation profile '${model.profile}'`);
  const unknown = unknownTemplateKeys(model.templates);
  if (unknown.length) throw new Error(`model '${model.name}': unknown template keys ${unknown.join(", ")}`);
  for (const e of entries) {
    if (e.module !== "adapter" || !("name" in e) || !e.name) continue;
    const choice = adapterFor(model, e.name);
    if (choice.skipped && model.provider === "local") throw new Error(`model '${model.name}', profile '${model.profile}': ${choice.skipped}`);
  }
}

/** A fresh context for one request; the route fills `ecosystem` when the request or model says. */
export function createMitigationContext(args: {
  requestId: string;
  model: ModelConfig;
  profile: string;
  signal: AbortSignal;
  ecosystem?: Ecosystem | undefined;
}): MitigationContext {
  return {
    requestId: args.requestId,
    model: args.model,
    profile: args.profile,
    signal: args.signal,
    ...(args.ecosystem ? { ecosystem: args.ecosystem } : {}),
    records: [],
    responseHeaders: {},
  };
}
