/**
 * Answers prompts with a local GGUF model (optionally with LoRA adapters) through node-llama-cpp, one fresh
 * chat per prompt, greedy by default. Used to collect a model's own answers for the dataset and to compare a
 * base model with its adapter on the same prompts.
 */
import { getLlama, LlamaChatSession, type Llama, type LlamaModel } from "node-llama-cpp";

export interface ChatPrompt {
  system: string;
  user: string;
}

export interface GenerateOptions {
  modelPath: string;
  adapters?: { filePath: string; scale?: number }[];
  maxTokens?: number;
  temperature?: number;
  seed?: number;
  threads?: number;
  contextSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LocalGenerator {
  answer(prompts: ChatPrompt[], opts?: { maxTokens?: number }): Promise<string[]>;
  dispose(): Promise<void>;
}

/** Loads the model once; each `answer` call reuses one context sequence and clears it between prompts. */
export async function openGenerator(opts: GenerateOptions): Promise<LocalGenerator> {
  const llama: Llama = await getLlama({ gpu: false });
  const model: LlamaModel = await llama.loadModel({ modelPath: opts.modelPath });
  const context = await model.createContext({
    contextSize: opts.contextSize ?? 1024,
    threads: opts.threads ?? 1,
    ...(opts.adapters?.length ? { lora: { adapters: opts.adapters } } : {}),
  });
  const seq = context.getSequence();
  return {
    async answer(prompts, local) {
      const out: string[] = [];
      for (const p of prompts) {
        const session = new LlamaChatSession({ contextSequence: seq, systemPrompt: p.system, autoDisposeSequence: false });
        const text = await session.prompt(p.user, {
          temperature: opts.temperature ?? 0,
          maxTokens: local?.maxTokens ?? opts.maxTokens ?? 256,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        });
        session.dispose();
        await seq.clearHistory();
        out.push(text);
        opts.onProgress?.(out.length, prompts.length);
      }
      return out;
    },
    async dispose() {
      seq.dispose();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
