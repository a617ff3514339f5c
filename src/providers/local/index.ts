/**
 * `local`: a GGUF model in-process through node-llama-cpp. The model is loaded once;
 * each adapter set (the base model, and each configured LoRA) gets its own context
 * with `sequences` parallel sequences, shared through a bounded queue (pool.ts).
 */
import { getLlama, JinjaTemplateChatWrapper, LlamaChat, TokenBias, type ChatWrapper, type Llama, type LlamaContext, type LlamaModel } from "node-llama-cpp";
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, FinishReason } from "../../api/schema.js";
import type { LocalModelConfig } from "../../config/schema.js";
import { metrics } from "../../metrics/index.js";
import { AsyncQueue } from "../../util/async-queue.js";
import { newCompletionId } from "../../util/ids.js";
import type { Logger } from "../../util/log.js";
import { ProviderError, type CallOptions, type Provider } from "../types.js";
import { toChatHistory } from "./messages.js";
import { ModelConstrainer } from "./constrain/index.js";
import { Pool } from "./pool.js";

const BASE = "";
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
  private model: LlamaModel | undefined;
  private readonly contexts: LlamaContext[] = [];
  private readonly pools = new Map<string, Pool<Slot>>();
  private loading: Promise<void> | undefined;
  private failure: string | undefined;
  private isReady = false;
  /** Constrained decoding (issue 15): built on the first constrained request. */
  private constrainer: ModelConstrainer | undefined;

  constructor(
    readonly config: LocalModelConfig,
    private readonly options: { logger?: Logger } = {},
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

  async generate(request: ChatRequest, options: CallOptions): Promise<ChatCompletion> {
    let content = "";
    let finish: FinishReason = "stop";
    let usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    for await (const event of this.run(request, options)) {
      if (event.type === "text") content += event.text;
      else ({ finish, usage } = event);
    }
    return {
      id: newCompletionId(),
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finish, logprobs: null }],
      usage,
    };
  }

  async *stream(request: ChatRequest, options: CallOptions): AsyncIterable<ChatCompletionChunk> {
    const id = newCompletionId();
    const created = Math.floor(Date.now() / 1000);
    const chunk = (delta: ChatCompletionChunk["choices"][number]["delta"], finish: FinishReason | null): ChatCompletionChunk => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: request.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    let first = true;
    for await (const event of this.run(request, options)) {
      if (event.type === "text") {
        yield chunk(first ? { role: "assistant", content: event.text } : { content: event.text }, null);
        first = false;
        continue;
      }
      if (first) yield chunk({ role: "assistant", content: "" }, null);
      yield chunk({}, event.finish);
      yield { id, object: "chat.completion.chunk", created, model: request.model, choices: [], usage: event.usage };
    }
  }

  /** Generates on a pooled sequence; stops when the caller's signal aborts or the consumer stops reading. */
  private async *run(request: ChatRequest, options: CallOptions) {
    const pool = this.pool(options.adapter);
    // Build everything that can throw before taking a sequence, so errors never leak one.
    const history = toChatHistory(request.messages);
    const sampling = this.sampling(request);
    // --- constrained decoding (issue 15, src/providers/local/constrain): one per generation ---
    if (options.constrain && sampling.tokenBias) throw new ProviderError("logit_bias cannot be combined with constrained decoding", 400, "invalid_logit_bias");
    const constrained = options.constrain ? (this.constrainer ??= new ModelConstrainer(this.model!)).start(options.constrain, request) : undefined;
    const slot = await pool.acquire(options.signal);
    const detach = constrained?.attach(slot.chat.sequence);
    const stop = new AbortController();
    const onAbort = () => stop.abort(options.signal.reason);
    options.signal.addEventListener("abort", onAbort, { once: true });
    const events = new AsyncQueue<{ type: "text"; text: string }>();
    let completionTokens = 0;
    const done = slot.chat
      .generateResponse(history, {
        ...sampling,
        ...(constrained ? { tokenBias: constrained.tokenBias } : {}),
        signal: stop.signal,
        stopOnAbortSignal: false,
        onTextChunk: (text) => events.push({ type: "text", text }),
        onToken: (tokens) => void (completionTokens += tokens.length),
      })
      .then(
        (res) => {
          events.end();
          return res;
        },
        (err: unknown) => {
          events.end(err);
          throw err;
        },
      );
    done.catch(() => undefined);
    try {
      yield* events;
      const res = await done;
      const promptTokens = this.countPrompt(slot, history);
      const finish: FinishReason = res.metadata.stopReason === "maxTokens" ? "length" : "stop";
      yield { type: "end" as const, finish, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } };
    } catch (err) {
      if (options.signal.aborted) throw options.signal.reason ?? err;
      throw new ProviderError(`Local generation failed: ${(err as Error).message}`, 500, "local_generation_failed");
    } finally {
      // The consumer may stop early (client gone): stop generating before freeing the sequence.
      stop.abort(new Error("consumer stopped"));
      await done.catch(() => undefined);
      detach?.();
      constrained?.finish();
      options.signal.removeEventListener("abort", onAbort);
      pool.release(slot);
    }
  }

  private sampling(request: ChatRequest) {
    const stopList = request.stop == null ? [] : Array.isArray(request.stop) ? request.stop : [request.stop];
    return {
      maxTokens: request.max_completion_tokens ?? request.max_tokens ?? this.config.contextSize,
      ...(request.temperature != null ? { temperature: request.temperature } : {}),
      ...(request.top_p != null ? { topP: request.top_p } : {}),
      ...(request.top_k != null ? { topK: request.top_k } : {}),
      ...(request.seed != null ? { seed: request.seed } : {}),
      ...(stopList.length ? { customStopTriggers: stopList } : {}),
      ...this.tokenBias(request),
    };
  }

  /** OpenAI's `logit_bias` ({token id: -100..100}); -100 bans the token as OpenAI documents. */
  private tokenBias(request: ChatRequest): { tokenBias?: TokenBias } {
    const raw = (request as { logit_bias?: unknown }).logit_bias;
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

  private countPrompt(slot: Slot, history: ReturnType<typeof toChatHistory>): number {
    try {
      const state = slot.chat.chatWrapper.generateContextState({ chatHistory: history });
      return state.contextText.tokenize(this.model!.tokenizer).length;
    } catch {
      return 0;
    }
  }
}
