/**
 * Runs one request through the gateway, whatever API it came in on: resolves the
 * public model and the mitigation profile, applies the model's defaults to the call,
 * calls the model through its deadlines, retries, fallbacks and circuit breaker
 * (src/providers/resilience.ts), wraps that with the profile's mitigations (compose.ts), times the provider
 * so that the gateway's own overhead can be measured, and builds the slopguard report
 * from the records the mitigations returned. Routes stay thin adapters around this
 * and a codec (src/codecs/).
 */
import type { Generation, ModelCall, StreamPart, WireApi } from "../core/parts.js";
import type { Config, ModelConfig } from "../config/schema.js";
import type { Mitigation, MitigationContext, MitigationRecord } from "../mitigation/types.js";
import { wrapModel } from "../mitigation/compose.js";
import { buildReport, reportHeaders, type SlopguardReport } from "../mitigation/report.js";
import type { ProviderRegistry } from "../providers/index.js";
import { createResilience } from "../providers/resilience.js";
import type { Provider } from "../providers/types.js";
import type { OutPart } from "../codecs/types.js";
import { ApiError } from "./errors.js";
import type { LookupBudget } from "../packages/lookup-budget.js";

export const PROFILE_HEADER = "x-slopguard-profile";
export const ECOSYSTEM_HEADER = "x-slopguard-ecosystem";

/** Returns the mitigations of a profile for a model (tests inject a fixed list this way). */
export type MitigationsFor = (args: { profile: string; model: ModelConfig }) => readonly Mitigation[];

/** The part of the mitigation pipeline (src/mitigation/index.ts) a request needs. */
export interface ProfilePipeline {
  resolveProfile(args: { model: ModelConfig; header?: string | string[] | undefined; suffix?: string | undefined }): string;
  forRequest(args: { model: ModelConfig; profile: string }): readonly Mitigation[];
}


export interface Delivered {
  generation: Generation;
  report: SlopguardReport;
  headers: Record<string, string>;
}

export interface GatewayRun {
  model: ModelConfig;
  provider: Provider;
  profile: string;
  /** The call as the model gets it before mitigations (defaults applied). */
  call: ModelCall;
  generate(): Promise<Delivered>;
  /** The answer's parts as the client should see them, then the report. */
  stream(): AsyncIterable<OutPart>;
  /**
   * Headers known so far: the profile, and once the model was called, `x-slopguard-attempts` and
   * `x-slopguard-served-by` (streams send what is known at their first part; JSON answers add the report's).
   */
  headers(): Record<string, string>;
  /** Seconds spent waiting on the provider so far. */
  providerSeconds(): number;
}

export interface GatewayService {
  start(args: {
    /** The `model` the client sent (`name` or `name:profile`). */
    model: string;
    call: ModelCall;
    api: WireApi;
    requestId: string;
    signal: AbortSignal;
    /** The API key's budget of live registry lookups, for the package checks of this run. */
    lookupBudget?: LookupBudget | undefined;
    profileHeader?: string | undefined;
    ecosystemHeader?: string | undefined;
  }): GatewayRun;
}

export function createGatewayService(deps: {
  config: Config;
  providers: ProviderRegistry;
  pipeline?: ProfilePipeline | undefined;
  mitigationsFor?: MitigationsFor | undefined;
}): GatewayService {
  const models = new Map(deps.config.models.map((m) => [m.name, m]));
  const resilience = createResilience({ models: deps.config.models, providers: deps.providers });
  return {
    start(args) {
      const { name, profile: suffixProfile } = splitModelName(args.model);
      const model = models.get(name);
      const provider = deps.providers.get(name);
      if (!model || !provider) {
        throw new ApiError(404, `The model '${name.slice(0, 200)}' does not exist or you do not have access to it.`, { code: "model_not_found", param: "model" });
      }
      const profile = deps.pipeline
        ? deps.pipeline.resolveProfile({ model, header: args.profileHeader, suffix: suffixProfile })
        : args.profileHeader?.trim() || suffixProfile || model.profile;
      const ecosystem = parseEcosystem(args.ecosystemHeader) ?? model.ecosystem;
      const ctx: MitigationContext = {
        requestId: args.requestId, model, profile, signal: args.signal, api: args.api,
        ...(ecosystem ? { ecosystem } : {}), ...(args.lookupBudget ? { lookupBudget: args.lookupBudget } : {}),
      };
      const mitigations = deps.mitigationsFor?.({ profile, model }) ?? deps.pipeline?.forRequest({ model, profile }) ?? [];
      const timer = providerTimer();
      const upstream = resilience.start({ model: name, signal: args.signal, requestId: args.requestId });
      const wrapped = wrapModel({
        ctx,
        mitigations,
        doGenerate: async (call) => {
          const stop = timer.start();
          try {
            return await upstream.generate(call);
          } finally {
            stop();
          }
        },
        doStream: (call) => timedStream(upstream.stream(call), timer),
      });
      const call = applyDefaults(args.call, model);
      const headers = () => ({ "X-Slopguard-Profile": profile, ...upstream.headers() });
      return {
        model,
        provider,
        profile,
        call,
        headers,
        providerSeconds: timer.total,
        async generate() {
          const answer = await wrapped.generate(call);
          const report = buildReport({ ctx, records: answer.records });
          return { generation: answer.generation, report, headers: { ...headers(), ...reportHeaders(report) } };
        },
        stream: () => withReport(wrapped.stream(call), ctx),
      };
    },
  };
}

/** Strips the mitigations' records from the stream and ends it with the report built from them. */
async function* withReport(parts: AsyncIterable<StreamPart | { type: "record"; record: MitigationRecord }>, ctx: MitigationContext): AsyncGenerator<OutPart> {
  const records: MitigationRecord[] = [];
  for await (const part of parts) {
    if (part.type === "record") records.push(part.record);
    else yield part;
  }
  yield { type: "report", report: buildReport({ ctx, records }) };
}

/** `model:profile` selects a profile by name; a model name itself never contains ':'. */
export function splitModelName(requested: string): { name: string; profile?: string } {
  const i = requested.indexOf(":");
  if (i < 0) return { name: requested };
  const profile = requested.slice(i + 1);
  return profile ? { name: requested.slice(0, i), profile } : { name: requested.slice(0, i) };
}

function parseEcosystem(value: string | undefined): "pypi" | "npm" | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  if (v === "pypi" || v === "npm") return v;
  throw new ApiError(400, `Invalid ${ECOSYSTEM_HEADER} header '${value.slice(0, 64)}': expected 'pypi' or 'npm'`, { param: ECOSYSTEM_HEADER, code: "invalid_ecosystem" });
}

/** Request defaults a model applies when the client leaves the field out. */
function applyDefaults(call: ModelCall, model: ModelConfig): ModelCall {
  const d = model.defaults;
  return {
    ...call,
    ...(call.temperature === undefined && d.temperature !== undefined ? { temperature: d.temperature } : {}),
    ...(call.topP === undefined && d.top_p !== undefined ? { topP: d.top_p } : {}),
    ...(call.topK === undefined && d.top_k !== undefined ? { topK: d.top_k } : {}),
    ...(call.maxOutputTokens === undefined && d.max_tokens !== undefined ? { maxOutputTokens: d.max_tokens } : {}),
    ...(call.seed === undefined && d.seed !== undefined ? { seed: d.seed } : {}),
    ...(call.stop === undefined && d.stop !== undefined ? { stop: d.stop } : {}),
  };
}

function providerTimer() {
  let total = 0;
  return {
    start() {
      const t0 = performance.now();
      return () => void (total += performance.now() - t0);
    },
    total: () => total / 1000,
  };
}

/** Counts only the time spent inside the provider's `next()`, not the consumer's. */
async function* timedStream(source: AsyncIterable<StreamPart>, timer: ReturnType<typeof providerTimer>): AsyncGenerator<StreamPart> {
  const it = source[Symbol.asyncIterator]();
  try {
    while (true) {
      const stop = timer.start();
      let r: IteratorResult<StreamPart>;
      try {
        r = await it.next();
      } finally {
        stop();
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
