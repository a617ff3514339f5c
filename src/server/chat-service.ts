/**
 * Orchestrates one chat completion: resolves the public model and the mitigation
 * profile, applies the model's defaults, wraps the provider with the profile's
 * mitigations (compose.ts) and times the provider so that the gateway's own
 * overhead can be measured. The HTTP route stays a thin adapter around this.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../api/schema.js";
import type { Config, ModelConfig } from "../config/schema.js";
import type { Mitigation, MitigationContext } from "../mitigation/types.js";
import { wrapModel, type Wrapped } from "../mitigation/compose.js";
import type { ProviderRegistry } from "../providers/index.js";
import { ProviderError, type Provider } from "../providers/types.js";
import { metrics } from "../metrics/index.js";
import { ApiError } from "./errors.js";

export const PROFILE_HEADER = "x-slopguard-profile";

/** Returns the mitigations of a profile for a model (tests inject a fixed list this way). */
export type MitigationsFor = (args: { profile: string; model: ModelConfig }) => readonly Mitigation[];

/** The part of M's MitigationPipeline (src/mitigation/index.ts) the route needs. */
export interface ProfilePipeline {
  resolveProfile(args: { model: ModelConfig; header?: string | string[] | undefined; suffix?: string | undefined }): string;
  forRequest(args: { model: ModelConfig; profile: string }): readonly Mitigation[];
}

export const ECOSYSTEM_HEADER = "x-slopguard-ecosystem";

export interface ChatRun {
  model: ModelConfig;
  provider: Provider;
  ctx: MitigationContext;
  wrapped: Wrapped;
  params: ChatRequest;
  /** Seconds spent waiting on the provider so far. */
  providerSeconds(): number;
}

export interface ChatService {
  start(args: {
    request: ChatRequest;
    requestId: string;
    signal: AbortSignal;
    profileHeader?: string | undefined;
    ecosystemHeader?: string | undefined;
  }): ChatRun;
}

export function createChatService(deps: {
  config: Config;
  providers: ProviderRegistry;
  pipeline?: ProfilePipeline | undefined;
  mitigationsFor?: MitigationsFor | undefined;
}): ChatService {
  const models = new Map(deps.config.models.map((m) => [m.name, m]));
  return {
    start({ request, requestId, signal, profileHeader, ecosystemHeader }) {
      const { name, profile: suffixProfile } = splitModelName(request.model);
      const model = models.get(name);
      const provider = deps.providers.get(name);
      if (!model || !provider) {
        throw new ApiError(404, `The model '${name}' does not exist or you do not have access to it.`, {
          code: "model_not_found",
          param: "model",
        });
      }
      const profile = deps.pipeline
        ? deps.pipeline.resolveProfile({ model, header: profileHeader, suffix: suffixProfile })
        : profileHeader?.trim() || suffixProfile || model.profile;
      const ecosystem = parseEcosystem(ecosystemHeader) ?? model.ecosystem;
      const ctx: MitigationContext = {
        requestId,
        model,
        profile,
        signal,
        ...(ecosystem ? { ecosystem } : {}),
        records: [],
        responseHeaders: {},
      };
      const mitigations = deps.mitigationsFor?.({ profile, model }) ?? deps.pipeline?.forRequest({ model, profile }) ?? [];
      const timer = providerTimer();
      const callOptions = () => ({ signal, requestId, adapter: ctx.adapter, constrain: ctx.constrain });
      const upstreamModel = model.model;
      const wrapped = wrapModel({
        ctx,
        mitigations,
        doGenerate: async (params) => {
          const stop = timer.start();
          try {
            return withModel(await provider.generate({ ...params, model: upstreamModel }, callOptions()), name);
          } catch (err) {
            throw countProviderError(err, name);
          } finally {
            stop();
          }
        },
        doStream: (params) => timedStream(provider.stream({ ...params, model: upstreamModel }, callOptions()), timer, name),
      });
      return { model, provider, ctx, wrapped, params: applyDefaults({ ...request, model: name }, model), providerSeconds: timer.total };
    },
  };
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
  throw new ApiError(400, `Invalid ${ECOSYSTEM_HEADER} header '${value}': expected 'pypi' or 'npm'`, { param: ECOSYSTEM_HEADER, code: "invalid_ecosystem" });
}

function applyDefaults(request: ChatRequest, model: ModelConfig): ChatRequest {
  const out: Record<string, unknown> = { ...request };
  for (const [k, v] of Object.entries(model.defaults)) {
    if (v === undefined) continue;
    if (k === "max_tokens" && (out.max_tokens != null || out.max_completion_tokens != null)) continue;
    if (out[k] == null) out[k] = v;
  }
  return out as ChatRequest;
}

function withModel<T extends { model: string }>(res: T, name: string): T {
  res.model = name;
  return res;
}

/**
 * `slopguard_provider_errors_total{model, code}`: every provider failure, including those inside a
 * mitigation's extra calls (self-refine rounds) and mid-stream ones the status code cannot show. The
 * queue-saturation alert and the dashboard's error panel read it. A client going away is not one.
 */
function countProviderError(err: unknown, model: string): unknown {
  if (err instanceof ProviderError) metrics.providerErrors.inc({ model, code: err.code });
  return err;
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
async function* timedStream(source: AsyncIterable<ChatCompletionChunk>, timer: ReturnType<typeof providerTimer>, name: string) {
  const it = source[Symbol.asyncIterator]();
  try {
    while (true) {
      const stop = timer.start();
      let r: IteratorResult<ChatCompletionChunk>;
      try {
        r = await it.next();
      } catch (err) {
        throw countProviderError(err, name);
      } finally {
        stop();
      }
      if (r.done) return;
      r.value.model = name;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

export type { ChatCompletion };
