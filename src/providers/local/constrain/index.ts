/**
 * Constrained decoding for a local model: one per loaded model. The vocabulary trie is
 * built on first use (it depends on the model only) and an engine per name-list set keeps
 * its caches, shared by every sequence of the model. The local provider calls
 * `start(request, params)` per generation and passes the result's `tokenBias` to
 * `generateResponse` and its `attach` to the sequence (see ../index.ts).
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import type { ChatRequest } from "../../../api/schema.js";
import { startTracking, type ConstrainRequest } from "../../../mitigation/constrain/request.js";
import { Engine } from "./engine.js";
import { BiasFactory, ConstrainedGeneration, type Strategy } from "./session.js";
import { buildVocab, type TokenSource, type Vocab } from "./vocab.js";

export { ConstrainedGeneration, type Strategy } from "./session.js";

/** Engines kept per model (one per distinct name-list configuration in use). */
const MAX_ENGINES = 4;

export function tokenSourceOf(model: LlamaModel): TokenSource {
  return {
    ids: model.iterateAllTokens(),
    text: (id) => model.detokenize([id as Token], false),
    special: (id) => model.isSpecialToken(id as Token) || model.isEogToken(id as Token),
  };
}

export class ModelConstrainer {
  private built: { vocab: Vocab; biases: BiasFactory } | undefined;
  private readonly engines = new Map<string, Engine>();

  /** `memoBytes` bounds each of the engine's two caches (decisions, subtrees), per name-list configuration. */
  constructor(private readonly model: LlamaModel, private readonly options: { memoBytes: number } = { memoBytes: 16 * 1024 * 1024 }) {}

  get vocab(): Vocab {
    return this.parts().vocab;
  }

  private parts(): { vocab: Vocab; biases: BiasFactory } {
    if (!this.built) {
      const vocab = buildVocab(tokenSourceOf(this.model));
      this.built = { vocab, biases: new BiasFactory(this.model.tokenizer, vocab) };
    }
    return this.built;
  }

  engineFor(request: Pick<ConstrainRequest, "lists">): Engine {
    let engine = this.engines.get(request.lists.id);
    if (!engine) {
      if (this.engines.size >= MAX_ENGINES) this.engines.delete(this.engines.keys().next().value!);
      engine = new Engine(this.parts().vocab, this.options);
      this.engines.set(request.lists.id, engine);
    }
    return engine;
  }

  /** `strategy: "always"` when a grammar also constrains the generation (see session.ts). */
  start(request: ConstrainRequest, params: Pick<ChatRequest, "messages">, strategy: Strategy = "resample"): ConstrainedGeneration {
    const { vocab, biases } = this.parts();
    return new ConstrainedGeneration({ engine: this.engineFor(request), vocab, biases, tracker: startTracking(request, params), report: request.report, strategy });
  }
}
