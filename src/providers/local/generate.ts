/**
 * One generation on a context sequence, as stream parts. Three modes:
 * - plain chat;
 * - function calling (tools, `tool_choice: auto`): node-llama-cpp's chat wrapper shows
 *   the functions to the model and detects its calls; each call is released whole when
 *   its parameters are complete (agents act only on complete calls);
 * - a forced call (`tool_choice: required` or a named tool): a JSON-schema grammar makes
 *   any model write `{"name", "arguments"}`, which becomes one tool call.
 */
import type { ChatHistoryItem, LlamaChat, LlamaJsonSchemaGrammar, Token, TokenBias } from "node-llama-cpp";
import type { FinishReason, ModelCall, StreamPart } from "../../core/parts.js";
import type { AsyncQueue } from "../../util/async-queue.js";
import { newToolCallId } from "../../util/ids.js";
import { queuedGeneration } from "./queued.js";
import { toFunctions, withoutNulls } from "./tools.js";

export interface GenerateArgs {
  chat: LlamaChat;
  history: ChatHistoryItem[];
  call: ModelCall;
  /** `tokenBias` as a function: evaluated before each token (constrained decoding). */
  sampling: Record<string, unknown> & { tokenBias?: TokenBias | (() => TokenBias) };
  /** Set when the call forces a tool: the grammar of `{"name", "arguments"}`. */
  forced?: LlamaJsonSchemaGrammar<never> | undefined;
  signal: AbortSignal;
  countPrompt: () => number;
  /** What the provider did beyond the answer (the constrain report), read once the generation is complete. */
  metadata?: () => Record<string, unknown>;
}

/** Runs the generation and yields its parts; stops generating when the consumer stops reading. */
export function generateParts(args: GenerateArgs): AsyncGenerator<StreamPart> {
  return queuedGeneration(args.signal, ({ stop, parts }) => respond(args, stop, new Emitter(parts)));
}

async function respond(args: GenerateArgs, stop: AbortSignal, emit: Emitter): Promise<void> {
  const { chat, history, call, forced } = args;
  let completionTokens = 0;
  let forcedText = "";
  const calls = new Map<number, { name: string; params: string }>();
  const functions = forced || call.toolChoice === "none" ? undefined : toFunctions(call.tools);
  type Options = NonNullable<Parameters<LlamaChat["generateResponse"]>[1]>;
  const options = {
    ...args.sampling,
    signal: stop,
    stopOnAbortSignal: false,
    ...(forced ? { grammar: forced } : functions ? { functions } : {}),
    onResponseChunk: (chunk) => {
      if (forced) forcedText += chunk.text;
      else if (chunk.type === "segment") emit.reasoning(chunk.text);
      else emit.text(chunk.text);
    },
    onToken: (tokens: Token[]) => void (completionTokens += tokens.length),
    ...(functions
      ? {
          onFunctionCallParamsChunk: (c: { callIndex: number; functionName: string; paramsChunk: string; done: boolean }) => {
            const open = calls.get(c.callIndex) ?? { name: c.functionName, params: "" };
            open.params += c.paramsChunk;
            calls.set(c.callIndex, open);
            if (c.done) emit.toolCall(open.name, cleanParams(open.params));
          },
        }
      : {}),
  } as Options;
  const res = await chat.generateResponse(history, options);
  const cut = res.metadata.stopReason === "maxTokens";
  let finishReason: FinishReason = res.metadata.stopReason === "functionCalls" ? "tool-calls" : cut ? "length" : "stop";
  if (forced) finishReason = forcedCall(emit, forced, forcedText, cut);
  const promptTokens = args.countPrompt();
  emit.finish(finishReason, { inputTokens: promptTokens, outputTokens: completionTokens, totalTokens: promptTokens + completionTokens }, args.metadata?.());
}

/**
 * The forced call the grammar made the model write. Cut off by max_tokens, it is what
 * OpenAI returns then: the call with its arguments as far as they got, finish `length`.
 */
function forcedCall(emit: Emitter, grammar: LlamaJsonSchemaGrammar<never>, text: string, cut: boolean): FinishReason {
  if (!cut) {
    const doc = grammar.parse(text) as unknown as { name: string; arguments: unknown };
    emit.toolCall(doc.name, JSON.stringify(withoutNulls(doc.arguments ?? {})));
    return "tool-calls";
  }
  const name = /^\s*\{\s*"name"\s*:\s*"([^"]+)"/.exec(text)?.[1];
  const args = /"arguments"\s*:\s*([\s\S]*)$/.exec(text)?.[1];
  if (name) emit.toolCall(name, args ?? "");
  return "length";
}

/** Parameters as JSON without the nulls that stand for left-out optional properties. */
function cleanParams(raw: string): string {
  try {
    return JSON.stringify(withoutNulls(JSON.parse(raw)));
  } catch {
    return raw;
  }
}

/** Turns callbacks into well-formed parts: every start has its end, text and reasoning close before a call. */
class Emitter {
  private open: "text" | "reasoning" | undefined;
  private n = 0;

  constructor(private readonly out: AsyncQueue<StreamPart>) {}

  text(delta: string): void {
    this.delta("text", delta);
  }

  reasoning(delta: string): void {
    this.delta("reasoning", delta);
  }

  private delta(kind: "text" | "reasoning", delta: string): void {
    if (!delta) return;
    if (this.open !== kind) {
      this.close();
      this.open = kind;
      this.out.push(kind === "text" ? { type: "text-start", id: this.id() } : { type: "reasoning-start", id: this.id() });
    }
    this.out.push(kind === "text" ? { type: "text-delta", id: this.id(), delta } : { type: "reasoning-delta", id: this.id(), delta });
  }

  private id(): string {
    return `${this.open}-${this.n}`;
  }

  private close(): void {
    if (!this.open) return;
    this.out.push(this.open === "text" ? { type: "text-end", id: this.id() } : { type: "reasoning-end", id: this.id() });
    this.open = undefined;
    this.n++;
  }

  toolCall(name: string, input: string): void {
    this.close();
    const id = newToolCallId();
    this.out.push({ type: "tool-call-start", id, name, kind: "function" });
    this.out.push({ type: "tool-call-delta", id, delta: input });
    this.out.push({ type: "tool-call-end", id });
  }

  finish(finishReason: FinishReason, usage: { inputTokens: number; outputTokens: number; totalTokens: number }, metadata?: Record<string, unknown>): void {
    this.close();
    this.out.push({ type: "finish", finishReason, usage, ...(metadata ? { metadata } : {}) });
  }
}
