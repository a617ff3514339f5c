/**
 * One constrained generation on a node-llama-cpp sequence. node-llama-cpp (3.22.1) calls a
 * `tokenBias` function before sampling each token; it must know every token sampled so far,
 * but LlamaChat's `onToken` comes late (it holds tokens while a stop trigger might be
 * forming). So the session wraps the sequence's `evaluate` generator for the duration of
 * the generation: it sees each sampled token before LlamaChat does (and can take it back),
 * and records it when LlamaChat asks for the next one, which is before the next sampling.
 */
import { TokenBias, type LlamaContextSequence, type Token, type Tokenizer } from "node-llama-cpp";
import { acceptsEnd, stepText } from "../../../mitigation/constrain/micro.js";
import type { Tracker } from "../../../mitigation/constrain/tracker.js";
import { emptyReport, type ConstrainReport } from "../../../mitigation/constrain/request.js";
import type { Decision, Engine } from "./engine.js";
import type { Vocab } from "./vocab.js";

/** Added to allowed tokens' logits in `allow` decisions: far beyond any logit, so the rest get probability 0, while the allowed keep their ratios. */
const BOOST = 1e4;

type BiasMap = Map<number, number>;

/** TokenBias keeps its biases in `_biases` (3.22.1); `set()` skips end tokens, which a name must be able to allow and ban. */
function biasMapOf(bias: TokenBias): BiasMap {
  const map = (bias as unknown as { _biases?: unknown })._biases;
  if (!(map instanceof Map)) throw new Error("node-llama-cpp's TokenBias has no _biases map: constrained decoding needs node-llama-cpp 3.22.1");
  return map as BiasMap;
}

export class BiasFactory {
  private readonly built = new WeakMap<Decision, TokenBias>();
  readonly empty: TokenBias;

  constructor(private readonly tokenizer: Tokenizer, private readonly vocab: Vocab) {
    this.empty = new TokenBias(tokenizer);
    biasMapOf(this.empty);
  }

  of(d: Decision): TokenBias {
    let bias = this.built.get(d);
    if (bias) return bias;
    bias = new TokenBias(this.tokenizer);
    const map = biasMapOf(bias);
    const value = d.kind === "allow" ? BOOST : -Infinity;
    for (const id of d.ids) map.set(id, value);
    // End tokens: boosted with the allowed ones, or banned with the rest.
    if (d.kind === "allow" ? d.end : !d.end) for (const id of this.vocab.specials) map.set(id, value);
    this.built.set(d, bias);
    return bias;
  }
}

type Evaluate = LlamaContextSequence["evaluate"];
type Input = Token | Token[] | undefined;

/**
 * How a name is held to the lists. `resample` (default): the model samples as usual; a
 * token that would break a name is taken back and sampled again under the full bias, at the
 * cost of one more decode step, and the rest of that name is biased up front. For greedy
 * decoding this is the same as biasing every step;
 * with sampling it is rejection sampling (top-k/top-p cut before the check). `always`: the
 * bias is computed before every token inside a name; needed when a grammar constrains the
 * same generation, because the sampler feeds every sampled token to the grammar state.
 */
export type Strategy = "resample" | "always";

export class ConstrainedGeneration {
  private forced = false;
  /**
   * Set when a token of the current name had to be taken back: the name is one the model does
   * not know, and more of its tokens would be too. The rest of that name is biased up front,
   * which costs a decision (cheap this deep in a name) instead of another decode step each.
   */
  private biasName = false;

  /** `report`: what this generation did, counted as it goes; `finish()` returns a copy. */
  private readonly parts: { engine: Engine; vocab: Vocab; biases: BiasFactory; tracker: Tracker; strategy: Strategy; report: ConstrainReport };

  constructor(parts: { engine: Engine; vocab: Vocab; biases: BiasFactory; tracker: Tracker; strategy: Strategy }) {
    this.parts = { ...parts, report: emptyReport(parts.strategy) };
  }

  /** Pass as `tokenBias` to `generateResponse`: no bias outside names, and inside one only when needed. */
  readonly tokenBias = (): TokenBias => {
    const m = this.parts.tracker.current();
    if (!m || (this.parts.strategy === "resample" && !this.forced && !(this.biasName && m.pos))) return this.parts.biases.empty;
    const { engine, biases, report } = this.parts;
    if (!this.forced) report.constrainedTokens++;
    const before = engine.stats.ms;
    const d = engine.decide(m);
    report.ms += engine.stats.ms - before;
    if (d.allowed === 0) {
      // Nothing can follow (a vocabulary without the character a name needs): decode freely rather than fail.
      report.giveUps++;
      return biases.empty;
    }
    return biases.of(d);
  };

  /** Wraps `sequence.evaluate` until the returned function is called. */
  attach(sequence: LlamaContextSequence): () => void {
    const target = sequence as unknown as { evaluate: Evaluate };
    const hadOwn = Object.prototype.hasOwnProperty.call(sequence, "evaluate");
    const original = target.evaluate;
    const self = this;
    target.evaluate = function (tokens, options) {
      return self.guard(original.call(sequence, tokens, options), sequence);
    } as Evaluate;
    return () => {
      if (hadOwn) target.evaluate = original;
      else delete (target as Partial<typeof target>).evaluate;
    };
  }

  /**
   * Text that becomes part of the answer without being sampled (LlamaChat injects a function
   * call's opening syntax, for example): the tracker must read it too, in order.
   */
  observeText(text: string): void {
    this.parts.tracker.feed(text);
  }

  /** The answer is complete: closes open documents and returns the generation's report. */
  finish(): ConstrainReport {
    const { tracker, report } = this.parts;
    tracker.end();
    return { ...report, names: tracker.stats.names.slice(0, 64), leaks: tracker.stats.leaks, cut: tracker.stats.cut, ms: Math.round(report.ms * 100) / 100 };
  }

  /** Whether `token` may come next; counts tokens sampled inside a construct. */
  private allows(token: Token): boolean {
    const m = this.parts.tracker.current();
    if (!m) return true;
    this.parts.report.constrainedTokens++;
    const text = this.parts.vocab.texts[token];
    return text === undefined ? acceptsEnd(m) : stepText(m, text) !== null;
  }

  /**
   * Passes sampled tokens on to LlamaChat. A token that breaks a name is taken back: the last
   * evaluated token is erased and evaluated again, and the token sampled from it under the
   * full bias goes on instead. A token is recorded when LlamaChat asks for the next one: then
   * it is the one being evaluated (or the replacement LlamaChat gives instead).
   */
  private async *guard(inner: AsyncGenerator<Token, void, Input>, sequence: LlamaContextSequence): AsyncGenerator<Token, void, Input> {
    let input: Input;
    try {
      for (;;) {
        let r = await inner.next(input);
        if (!r.done && this.parts.strategy === "resample" && !this.allows(r.value)) r = await this.resample(inner, sequence, r.value);
        if (r.done) return;
        input = yield r.value;
        this.observe(input === undefined ? [r.value] : Array.isArray(input) ? input : [input]);
      }
    } finally {
      await inner.return();
    }
  }

  private async resample(inner: AsyncGenerator<Token, void, Input>, sequence: LlamaContextSequence, rejected: Token): Promise<IteratorResult<Token, void>> {
    const tokens = sequence.contextTokens;
    const last = tokens.at(-1);
    if (last === undefined) return { done: false, value: rejected };
    this.parts.report.resamples++;
    this.biasName = true;
    await sequence.eraseContextTokenRanges([{ start: tokens.length - 1, end: tokens.length }]);
    this.forced = true;
    try {
      return await inner.next([last]);
    } finally {
      this.forced = false;
    }
  }

  private observe(tokens: readonly Token[]): void {
    const { vocab, tracker, report } = this.parts;
    for (const t of tokens) {
      report.tokens++;
      const text = vocab.texts[t];
      if (text) tracker.feed(text);
    }
    if (!tracker.current()?.pos) this.biasName = false;
  }
}
