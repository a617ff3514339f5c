/**
 * `local`: a GGUF model in-process through node-llama-cpp. The model is loaded once;
 * each adapter set (the base model, and each configured LoRA) gets its own context
 * with `sequences` parallel sequences, shared through a bounded queue (pool.ts).
 */
import { getLlama, JinjaTemplateChatWrapper, LlamaChat, TokenBias, type ChatWrapper, type Llama, type LlamaContext, type LlamaJsonSchemaGrammar, type LlamaModel } from "node-llama-cpp";
import type { ConstrainRequest, Generation, ModelCall, StreamPart } from "../../core/parts.js";
import type { Snapshot } from "../../packages/snapshot.js";
import { collectStream } from "../../core/stream.js";
import type { LocalModelConfig } from "../../config/schema.js";
import { metrics } from "../../metrics/index.js";
import { newCompletionId } from "../../util/ids.js";
import type { Logger } from "../../util/log.js";
import { ProviderError, type CallOptions, type Provider } from "../types.js";
import { generateParts } from "./generate.js";
import { toChatHistory } from "./messages.js";
import { Pool } from "./pool.js";
import { forcedCallSchema, toFunctions } from "./tools.js";
import { generateText, textMode } from "./infill.js";
import { ModelConstrainer, type ConstrainedGeneration } from "./constrain/index.js";

const BASE = "";

function lastLine(text: string): string {
  return text.slice(text.lastIndexOf("\n") + 1);
}

// A package.json longer than this is read from its last line only (a cut-off start would misplace its sections).
const JSON_CONTEXT_MAX = 64 * 1024;

/**
 * What a text completion goes on from, for the constrained tracker: the prompt's last line
 * (`pip install fla|`), or a whole package.json from its path comment on, whose open sections
 * say whether the cursor is inside "dependencies".
 */
function context(call: ModelCall): string {
  const { prompt, fileStart = 0 } = call.completion!;
  const file = prompt.slice(fileStart);
  return call.constrain?.document === "package_json" && file.length <= JSON_CONTEXT_MAX ? file : lastLine(prompt);
}

/** node-llama-cpp function calling (a grammar takes over once the model opens a call). */
function usesFunctions(call: ModelCall): boolean {
  return call.toolChoice !== "none" && !!call.tools?.some((t) => t.kind === "function");
}
const llamas = new Map<string, Promise<Llama>>();

/** One Llama (native backend) per GPU setting per process, as node-llama-cpp recommends. */
function llamaFor(gpu: LocalModelConfig["gpu"]): Promise<Llama> {
  const key = String(gpu);
  let l = llamas.get(key);
  if (!l) {
    l = getLlama({ gpu, logLevel: "error" as never });
    llamas.set(key, l);
  }
  return l;
}

interface Slot {
  chat: LlamaChat;
}

export class LocalProvider implements Provider {
  readonly kind = "local";
  readonly api = undefined;
  /** Owns the decoding loop: the constrain mitigation's `call.constrain` is honoured (./constrain/). */
  readonly capabilities = { constrain: true };
  private model: LlamaModel | undefined;
  private readonly contexts: LlamaContext[] = [];
  private readonly pools = new Map<string, Pool<Slot>>();
  private loading: Promise<void> | undefined;
  private failure: string | undefined;
  private isReady = false;
  /** Constrained decoding: built on the first constrained call (the vocabulary trie is per model). */
  private constrainer: ModelConstrainer | undefined;

  constructor(
    readonly config: LocalModelConfig,
    /** `snapshot`: where constrained decoding's name lists come from (the repo's data/ when left out). */
    private readonly options: { logger?: Logger; snapshot?: () => Snapshot } = {},
  ) {}

  init(): Promise<void> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.failure = `model '${this.config.name}' (${this.config.model}) failed to load: ${(err as Error).message}`;
      throw new Error(this.failure);
    });
    return this.loading;
  }

  ready(): boolean {
    return this.isReady;
  }

  async close(): Promise<void> {
    this.isReady = false;
    for (const p of this.pools.values()) p.drain(new ProviderError("The model is shutting down", 503, "shutting_down"));
    await Promise.allSettled(this.contexts.map((c) => c.dispose()));
    await this.model?.dispose();
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    const llama = await llamaFor(this.config.gpu);
    this.model = await llama.loadModel({ modelPath: this.config.model });
    const wrapper: ChatWrapper | "auto" = this.config.chatTemplate ? new JinjaTemplateChatWrapper({ template: this.config.chatTemplate }) : "auto";
    const sets = [{ name: BASE, lora: undefined as undefined | { adapters: { filePath: string; scale: number }[] } }];
    for (const a of this.config.adapters) sets.push({ name: a.name, lora: { adapters: [{ filePath: a.path, scale: a.scale }] } });
    for (const set of sets) {
      const context = await this.model.createContext({
        contextSize: this.config.contextSize * this.config.sequences,
        sequences: this.config.sequences,
        threads: this.config.threads,
        ...(set.lora ? { lora: set.lora } : {}),
      });
      this.contexts.push(context);
      const slots: Slot[] = [];
      for (let i = 0; i < this.config.sequences; i++) slots.push({ chat: new LlamaChat({ contextSequence: context.getSequence(), chatWrapper: wrapper }) });
      const label = set.name ? `${this.config.name}+${set.name}` : this.config.name;
      this.pools.set(set.name, new Pool(slots, { queueLimit: this.config.queueLimit, label, onDepth: () => this.reportDepth() }));
    }
    this.isReady = true;
    this.reportDepth();
    this.options.logger?.info("local model loaded", {
      model: this.config.name,
      file: this.config.model,
      adapters: this.config.adapters.map((a) => a.name),
      threads: this.config.threads,
      sequences: this.config.sequences,
      gpu: llama.gpu,
      ms: Math.round(performance.now() - t0),
    });
  }

  private reportDepth(): void {
    let depth = 0;
    for (const p of this.pools.values()) depth += p.depth;
    metrics.queueDepth.set({ model: this.config.name }, depth);
  }

  private pool(adapter: string | undefined): Pool<Slot> {
    const pool = this.pools.get(adapter ?? BASE);
    if (!pool) {
      if (this.failure) throw new ProviderError(`Model '${this.config.name}' is unavailable: it failed to load`, 503, "model_unavailable");
      if (!this.isReady) throw new ProviderError(`Model '${this.config.name}' is still loading`, 503, "model_loading", 2);
      throw new ProviderError(`Adapter '${adapter}' is not configured on model '${this.config.name}'`, 400, "adapter_not_found");
    }
    return pool;
  }

  async generate(call: ModelCall, options: CallOptions): Promise<Generation> {
    const { generation } = await collectStream(this.stream(call, options));
    return { ...generation, response: { ...generation.response, model: this.config.name } };
  }

  /** Generates on a pooled sequence; stops when the caller's signal aborts or the consumer stops reading. */
  async *stream(call: ModelCall, options: CallOptions): AsyncIterable<StreamPart> {
    const pool = this.pool(call.adapter);
    const mode = textMode(call, this.model!);
    // Build everything that can throw before taking a sequence, so errors never leak one.
    const sampling = this.sampling(call);
    if (mode) {
      // `/v1/completions` served as text (infill.ts). It goes on from the prompt's last line: `pip install fla|` must finish a real name.
      const constrained = call.constrain ? this.startConstrained(call.constrain, { grammar: false, logitBias: !!sampling.tokenBias }) : undefined;
      constrained?.prime(context(call));
      return yield* this.onSlot({ pool, constrained, options }, (slot, extra) =>
        generateText({ mode, model: this.model!, sequence: slot.chat.sequence, call, signal: options.signal, sampling: { ...sampling, ...extra.sampling }, ...extra.finish }),
      );
    }
    const history = toChatHistory(call);
    const forced = await this.forcedGrammar(call);
    const constrained = call.constrain ? this.startConstrained(call.constrain, { grammar: !!forced || usesFunctions(call), logitBias: !!sampling.tokenBias }) : undefined;
    yield* this.onSlot({ pool, constrained, options }, (slot, extra) =>
      generateParts({
        chat: slot.chat, history, call, forced, signal: options.signal,
        sampling: { ...sampling, ...extra.sampling },
        countPrompt: () => this.countPrompt(slot, history),
        ...extra.finish,
      }),
    );
  }

  /**
   * Runs one generation on a pooled sequence: the constrained session (if any) sees every token the
   * sequence samples until the generation has settled, errors come out as the provider's, and the
   * sequence always goes back to the pool.
   */
  private async *onSlot(
    args: { pool: Pool<Slot>; constrained: ConstrainedGeneration | undefined; options: CallOptions },
    generate: (slot: Slot, extra: { sampling: { tokenBias?: () => TokenBias }; finish: { metadata?: () => Record<string, unknown> } }) => AsyncIterable<StreamPart>,
  ): AsyncIterable<StreamPart> {
    const { pool, constrained, options } = args;
    const slot = await pool.acquire(options.signal);
    const detach = constrained?.attach(slot.chat.sequence);
    try {
      yield { type: "response-info", info: { id: newCompletionId(), model: this.config.name, created: Math.floor(Date.now() / 1000) } };
      yield* generate(slot, {
        sampling: constrained ? { tokenBias: constrained.tokenBias } : {},
        finish: constrained ? { metadata: () => ({ constrain: constrained.finish() }) } : {},
      });
    } catch (err) {
      if (options.signal.aborted) throw options.signal.reason ?? err;
      throw new ProviderError(`Local generation failed: ${(err as Error).message}`, 500, "local_generation_failed");
    } finally {
      detach?.();
      pool.release(slot);
    }
  }

  /**
   * One constrained generation. Under a grammar (a forced call, or function calling) every token
   * inside a name is biased before sampling (`always`): the grammar state takes each sampled token,
   * so one cannot be taken back and sampled again.
   */
  private startConstrained(request: ConstrainRequest, args: { grammar: boolean; logitBias: boolean }): ConstrainedGeneration {
    if (args.logitBias) throw new ProviderError("logit_bias cannot be combined with constrained decoding", 400, "invalid_logit_bias");
    this.constrainer ??= new ModelConstrainer(this.model!, this.options.snapshot ? { snapshot: this.options.snapshot } : {});
    return this.constrainer.start({ request, strategy: args.grammar ? "always" : "resample" });
  }

  /** `tool_choice: required` or a named tool: a grammar over the tools' argument schemas. */
  private async forcedGrammar(call: ModelCall): Promise<LlamaJsonSchemaGrammar<never> | undefined> {
    const choice = call.toolChoice;
    if (!call.tools?.some((t) => t.kind === "function") || choice === undefined || choice === "auto" || choice === "none") return undefined;
    const only = typeof choice === "object" ? choice.name : undefined;
    if (only && !call.tools.some((t) => t.kind === "function" && t.name === only)) {
      throw new ProviderError(`tool_choice names '${only}', which is not among the request's function tools`, 400, "invalid_tool_choice");
    }
    const llama = await llamaFor(this.config.gpu);
    try {
      return (await llama.createGrammarForJsonSchema(forcedCallSchema(call.tools, only) as never)) as LlamaJsonSchemaGrammar<never>;
    } catch (err) {
      throw new ProviderError(`The tools' argument schemas cannot be turned into a grammar: ${(err as Error).message}`, 400, "unsupported_tool_schema");
    }
  }

  private sampling(call: ModelCall): Record<string, unknown> & { tokenBias?: TokenBias } {
    return {
      maxTokens: call.maxOutputTokens ?? this.config.contextSize,
      ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
      ...(call.topP !== undefined ? { topP: call.topP } : {}),
      ...(call.topK !== undefined ? { topK: call.topK } : {}),
      ...(call.seed !== undefined ? { seed: call.seed } : {}),
      ...(call.stop?.length ? { customStopTriggers: call.stop } : {}),
      ...this.tokenBias(call),
    };
  }

  /** OpenAI's `logit_bias` ({token id: -100..100}); -100 bans the token as OpenAI documents. */
  private tokenBias(call: ModelCall): { tokenBias?: TokenBias } {
    const raw = call.native?.extra.logit_bias;
    if (!raw || typeof raw !== "object") return {};
    const bias = new TokenBias(this.model!.tokenizer);
    for (const [id, v] of Object.entries(raw as Record<string, unknown>)) {
      const token = Number(id);
      if (!Number.isInteger(token) || typeof v !== "number" || v < -100 || v > 100) {
        throw new ProviderError(`Invalid logit_bias entry '${id}': ${String(v)}`, 400, "invalid_logit_bias");
      }
      bias.set(token as never, v <= -100 ? "never" : { logit: v });
    }
    return { tokenBias: bias };
  }

  /**
   * `/v1/messages/count_tokens`: the prompt as the chat template renders it (with the tools
   * it shows the model), in the model's tokens. A text completion counts its own text.
   */
  async countTokens(call: ModelCall): Promise<number> {
    const pool = this.pool(call.adapter);
    if (textMode(call, this.model!)) return this.model!.tokenize(call.completion!.prompt + (call.completion!.suffix ?? "")).length;
    const functions = toFunctions(call.tools);
    const state = pool.sample().chat.chatWrapper.generateContextState({ chatHistory: toChatHistory(call), ...(functions ? { availableFunctions: functions } : {}) });
    return state.contextText.tokenize(this.model!.tokenizer).length;
  }

  private countPrompt(slot: Slot, history: ReturnType<typeof toChatHistory>): number {
    try {
      const state = slot.chat.chatWrapper.generateContextState({ chatHistory: history });
      return state.contextText.tokenize(this.model!.tokenizer).length;
    } catch {
      return 0;
    }
  }
}
