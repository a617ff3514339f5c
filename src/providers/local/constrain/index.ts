/**
 * Constrained decoding for a local model: one per loaded model. The vocabulary trie is
 * built on first use (it depends on the model only); the name lists are resolved from the
 * package snapshot once per list choice (names.ts caches them); an engine per name-list
 * set keeps its caches, shared by every sequence of the model. The local provider calls
 * `start({request, strategy})` per generation, passes the result's `tokenBias` to
 * `generateResponse` and its `attach` to the sequence, and returns `finish()`'s report
 * in the answer's metadata (see ../index.ts).
 */
import type { LlamaModel, Token } from "node-llama-cpp";
import type { ConstrainRequest } from "../../../core/parts.js";
import { nameListsFor, type NameLists } from "../../../mitigation/constrain/names.js";
import { startTracking } from "../../../mitigation/constrain/request.js";
import { defaultSnapshot, type Snapshot } from "../../../packages/snapshot.js";
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

export interface ConstrainerOptions {
  /** The package snapshot the name lists come from (the checker's; the repo's data/ by default). */
  snapshot?: () => Snapshot;
  /** Bounds each of an engine's two caches (decisions, subtrees), per name-list configuration. */
  memoBytes?: number;
}

export class ModelConstrainer {
  private built: { vocab: Vocab; biases: BiasFactory } | undefined;
  private readonly engines = new Map<string, Engine>();
  private readonly snapshot: () => Snapshot;
  private readonly memoBytes: number;

  constructor(private readonly model: LlamaModel, options: ConstrainerOptions = {}) {
    this.snapshot = options.snapshot ?? defaultSnapshot;
    this.memoBytes = options.memoBytes ?? 16 * 1024 * 1024;
  }

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

  /** The name lists a request holds names to, from this model's snapshot. */
  listsFor(request: Pick<ConstrainRequest, "names" | "allowlist" | "conda">): NameLists {
    return nameListsFor(this.snapshot(), request);
  }

  engineFor(lists: Pick<NameLists, "id">): Engine {
    let engine = this.engines.get(lists.id);
    if (!engine) {
      if (this.engines.size >= MAX_ENGINES) this.engines.delete(this.engines.keys().next().value!);
      engine = new Engine(this.parts().vocab, { memoBytes: this.memoBytes });
      this.engines.set(lists.id, engine);
    }
    return engine;
  }

  /** `strategy: "always"` when a grammar also constrains the generation (see session.ts). */
  start(args: { request: ConstrainRequest; strategy?: Strategy }): ConstrainedGeneration {
    const { vocab, biases } = this.parts();
    const lists = this.listsFor(args.request);
    return new ConstrainedGeneration({ engine: this.engineFor(lists), vocab, biases, tracker: startTracking(lists, args.request), strategy: args.strategy ?? "resample" });
  }
}
