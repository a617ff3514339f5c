/**
 * The gateway's configuration file (YAML or JSON), as one zod schema. Each part
 * of the system owns the schema of its own section (packages, rag, mitigation,
 * state) so that this file only assembles them.
 */
import { z } from "zod";
import { PackagesConfigSchema } from "../packages/config.js";
import { ToolSpecsSchema } from "../packages/toolcalls/config.js";
import { RagConfigSchema } from "../rag/config.js";
import { MitigationConfigSchema } from "../mitigation/config.js";
import { StateConfigSchema } from "../state/config.js";

/** Circuit breaker of a model (src/providers/breaker.ts). */
export const BreakerConfigSchema = z.strictObject({
  /** Consecutive failed attempts (connection errors, 5xx, timeouts, malformed answers) that open it; 0 = never. */
  failures: z.number().int().min(0).default(5),
  /** How long an open circuit skips the model before one request probes it. */
  cooldownMs: z.number().int().positive().default(30_000),
});

/** Request defaults a model applies when the client leaves the field out. */
export const ModelDefaultsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  max_tokens: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  stop: z.array(z.string()).optional(),
});

export const LoraAdapterSchema = z.strictObject({
  /** Name a profile or a request uses to select the adapter. */
  name: z.string().min(1),
  /** GGUF LoRA file; relative paths resolve against the config file's folder. */
  path: z.string().min(1),
  scale: z.number().default(1),
});
export type LoraAdapter = z.infer<typeof LoraAdapterSchema>;

const ModelBase = {
  /** Public name clients send as `model`. */
  name: z.string().min(1).regex(/^[^\s:]+$/, "must not contain spaces or ':' (':' selects a profile)"),
  defaults: ModelDefaultsSchema.default({}),
  /** Mitigation profile applied when the request does not choose one. */
  profile: z.string().default("default"),
  /** Per-model overrides of the mitigation prompt templates (models follow different phrasings). */
  templates: z.record(z.string(), z.string()).default({}),
  ecosystem: z.enum(["pypi", "npm"]).optional(),
  /**
   * Tools of the agents that use this model, merged over the shipped defaults (Claude Code, Codex,
   * Qwen Code, Cline, OpenHands, Cursor): which are shells, file writes, edits and patches, and where
   * their arguments are. Any other tool has its string arguments read as text.
   */
  tools: ToolSpecsSchema.optional(),
  /**
   * Other configured models tried in order when this one fails before the first part of its answer
   * (upstream error, timeout, open circuit); never after a 429 or another 4xx, which go to the client.
   */
  fallbacks: z.array(z.string().min(1)).max(8).default([]),
  breaker: BreakerConfigSchema.default({ failures: 5, cooldownMs: 30_000 }),
  /** Longest a streamed answer may run from the request to its last part; past it the stream ends with an error event. */
  streamDeadlineMs: z.number().int().positive().default(30 * 60_000),
};

/** Deadlines and retries of an upstream reached over HTTP (src/providers/resilience.ts). */
const UpstreamTiming = {
  /**
   * The whole answer (JSON) or its first part (stream) must come within this, retries and
   * fallbacks included; past it: 504.
   */
  timeoutMs: z.number().int().positive().default(120_000),
  /** One attempt's share of timeoutMs: an attempt over it is retried, or the next fallback tried, while timeoutMs lasts. */
  attemptTimeoutMs: z.number().int().positive().optional(),
  /** Longest silence between stream events before the upstream is cut off (504); defaults to timeoutMs. */
  streamIdleTimeoutMs: z.number().int().positive().optional(),
  /**
   * Retries after a connection error, a 5xx or an attempt's timeout, before the first part only and
   * within timeoutMs; a 429 or another 4xx is never retried. The SDKs' own retries are off.
   */
  maxRetries: z.number().int().min(0).max(5).default(1),
  /** Backoff of the first retry: a random wait up to this, doubling per retry (full jitter, at most 8 s). */
  retryBackoffMs: z.number().int().min(0).default(250),
};

export const OpenAICompatibleModelSchema = z.strictObject({
  ...ModelBase,
  provider: z.literal("openai-compatible"),
  /** The upstream's own model id. */
  model: z.string().min(1),
  baseURL: z.string().url(),
  apiKey: z.string().optional(),
  ...UpstreamTiming,
  headers: z.record(z.string(), z.string()).default({}),
  /** Largest upstream answer, JSON or streamed; a bigger one is cut off with 502 instead of growing memory. */
  maxResponseBytes: z.number().int().positive().default(32 * 1024 * 1024),
  /**
   * How `/v1/completions` requests reach the upstream: `chat` as a chat turn (every
   * OpenAI-compatible server has chat), `completions` through its own `/v1/completions`
   * (vLLM, llama.cpp's server, Ollama; with `suffix` where the server does fill-in-the-middle).
   */
  completions: z.enum(["chat", "completions"]).default("chat"),
});

/** An upstream speaking Anthropic's Messages API, through `@anthropic-ai/sdk`. */
export const AnthropicModelSchema = z.strictObject({
  ...ModelBase,
  provider: z.literal("anthropic"),
  /** The upstream's own model id (e.g. `claude-sonnet-4-5`). */
  model: z.string().min(1),
  /** Without `/v1` (the SDK appends `/v1/messages`); default: the SDK's own (ANTHROPIC_BASE_URL, then Anthropic's API). */
  baseURL: z.string().url().optional(),
  /** Default: ANTHROPIC_API_KEY. */
  apiKey: z.string().optional(),
  ...UpstreamTiming,
  // Long non-streaming answers of large max_tokens take minutes on Anthropic's API.
  timeoutMs: z.number().int().positive().default(600_000),
  headers: z.record(z.string(), z.string()).default({}),
  maxResponseBytes: z.number().int().positive().default(32 * 1024 * 1024),
  /** `max_tokens` for calls that set none (the API requires it; other APIs' clients may leave it out). */
  maxTokens: z.number().int().positive().default(4096),
});

/** An upstream speaking OpenAI's Responses API; the same connection settings as `openai-compatible`. */
export const OpenAIResponsesModelSchema = OpenAICompatibleModelSchema.extend({ provider: z.literal("openai-responses") });

export const LocalModelSchema = z.strictObject({
  ...ModelBase,
  provider: z.literal("local"),
  /** GGUF file; relative paths resolve against the config file's folder. */
  model: z.string().min(1),
  gpu: z.union([z.literal("auto"), z.literal(false), z.enum(["cuda", "vulkan", "metal"])]).default(false),
  /** 1 is fastest for small models on few cores (see docs/BENCHMARKS.md); 0 lets llama.cpp decide. */
  threads: z.number().int().min(0).default(1),
  contextSize: z.number().int().positive().default(1024),
  /** Parallel sequences per adapter set; requests beyond these wait in the queue. */
  sequences: z.number().int().positive().default(1),
  /** Requests allowed to wait for a free sequence; one more gets 429. */
  queueLimit: z.number().int().min(0).default(16),
  /** Jinja chat template overriding the one embedded in the GGUF. */
  chatTemplate: z.string().optional(),
  adapters: z.array(LoraAdapterSchema).default([]),
  /** The whole answer (JSON) or its first part (stream), queueing included, must come within this; none by default. */
  timeoutMs: z.number().int().positive().optional(),
});

export const ModelConfigSchema = z.discriminatedUnion("provider", [OpenAICompatibleModelSchema, OpenAIResponsesModelSchema, LocalModelSchema, AnthropicModelSchema]);
export type ModelConfig = z.infer<typeof ModelConfigSchema>;
export type LocalModelConfig = z.infer<typeof LocalModelSchema>;
export type OpenAICompatibleModelConfig = z.infer<typeof OpenAICompatibleModelSchema>;
export type OpenAIResponsesModelConfig = z.infer<typeof OpenAIResponsesModelSchema>;
export type AnthropicModelConfig = z.infer<typeof AnthropicModelSchema>;

/** Who may read `/metrics`: open by default (like /healthz); a token, or a listener of its own, closes it. */
export const MetricsServerSchema = z.strictObject({
  /** When set, a scrape must send `Authorization: Bearer <one of these>` (Prometheus: `authorization.credentials`). */
  bearerTokens: z.array(z.string().min(1)).default([]),
  /** Serve `/metrics` only on this port (e.g. 9464, kept off the public network) and not on the main one. */
  port: z.number().int().min(0).max(65535).optional(),
  /** Host of that listener; defaults to `server.host`. */
  host: z.string().optional(),
});

export const ServerConfigSchema = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: z.number().int().positive().default(1_048_576),
  /** Gateway API keys clients send as `Authorization: Bearer`; empty means no auth. */
  apiKeys: z.array(z.string().min(1)).default([]),
  logLevel: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** Seconds SIGTERM waits for in-flight requests and streams to finish. */
  shutdownGraceSeconds: z.number().int().min(0).default(25),
  metrics: MetricsServerSchema.default({ bearerTokens: [] }),
});

export const ConfigSchema = z
  .strictObject({
    server: ServerConfigSchema.default(ServerConfigSchema.parse({})),
    models: z.array(ModelConfigSchema).min(1),
    packages: PackagesConfigSchema.default(PackagesConfigSchema.parse({})),
    rag: RagConfigSchema.default(RagConfigSchema.parse({})),
    mitigation: MitigationConfigSchema.default(MitigationConfigSchema.parse({})),
    state: StateConfigSchema.default(StateConfigSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    const names = new Set(config.models.map((m) => m.name));
    config.models.forEach((m, i) =>
      m.fallbacks.forEach((f, j) => {
        if (f === m.name || !names.has(f)) {
          ctx.addIssue({ code: "custom", path: ["models", i, "fallbacks", j], message: f === m.name ? "a model cannot be its own fallback" : `no model named '${f}' is configured` });
        }
      }),
    );
  });
export type Config = z.infer<typeof ConfigSchema>;
