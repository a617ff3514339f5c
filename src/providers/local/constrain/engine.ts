/**
 * Which tokens may come next from a decoder state: every vocabulary token is simulated
 * through the name automaton at once by walking the vocabulary trie (vocab.ts), pruning
 * a subtree at the first character that breaks a name. What a state outside a name allows
 * is the same for every answer, so it is computed once per model × name lists and kept;
 * inside a name, the walk is short (few tokens continue a given prefix), and the large
 * subtrees after a name ends (" …", "\n…", ",…") are memoised by the state they start in.
 */
import { LRUCache } from "lru-cache";
import { stepAll, type Positions } from "../../../mitigation/constrain/matchers.js";
import { acceptsEnd, FREE, stateKey, step, type Micro, type StepResult } from "../../../mitigation/constrain/micro.js";
import { nameCharOf } from "../../../mitigation/constrain/modes.js";
import type { Vocab } from "./vocab.js";

/** `allow`: only `ids` (plus end tokens when `end`) may come; `ban`: anything but `ids` (and end tokens unless `end`). */
export interface Decision {
  readonly kind: "allow" | "ban";
  readonly ids: Int32Array;
  readonly end: boolean;
  /** How many tokens may come, end tokens included. */
  readonly allowed: number;
}

export interface EngineStats {
  decisions: number;
  cached: number;
  ms: number;
}

/** Subtrees smaller than this are cheaper to walk than to look up. */
const MEMO_MIN = 48;

export class Engine {
  private readonly mask: Uint8Array;
  private readonly memo: LRUCache<string, Uint8Array>;
  private readonly decisions: LRUCache<string, Decision>;
  readonly stats: EngineStats = { decisions: 0, cached: 0, ms: 0 };

  constructor(private readonly vocab: Vocab, options: { memoBytes: number }) {
    this.mask = new Uint8Array(vocab.size);
    this.memo = new LRUCache({ maxSize: options.memoBytes, sizeCalculation: (v) => Math.max(1, v.byteLength) });
    // A decision holds up to half the vocabulary's ids (4 bytes each).
    this.decisions = new LRUCache({ maxSize: options.memoBytes, sizeCalculation: (d) => Math.max(1, d.ids.byteLength) });
  }

  /** Memory held by the caches, in bytes. */
  cacheBytes(): number {
    return this.memo.calculatedSize + this.decisions.calculatedSize;
  }

  decide(m: Micro): Decision {
    const t0 = performance.now();
    this.stats.decisions++;
    const key = stateKey(m);
    const hit = key === undefined ? undefined : this.decisions.get(key);
    if (hit) {
      this.stats.cached++;
      this.stats.ms += performance.now() - t0;
      return hit;
    }
    this.mask.fill(0);
    this.visit(0, m);
    const decision = this.toDecision(acceptsEnd(m));
    if (key !== undefined) this.decisions.set(key, decision);
    this.stats.ms += performance.now() - t0;
    return decision;
  }

  private visit(node: number, s: Micro): void {
    const { firstChild, nextSibling, char } = this.vocab;
    for (let child = firstChild[node]!; child !== -1; child = nextSibling[child]!) this.follow(child, step(s, char[child]!));
  }

  /** Marks what the subtree of `child` allows, given the state after its character. */
  private follow(child: number, r: StepResult): void {
    if (r === null) return;
    const { start, end, own } = this.vocab;
    const a = start[child]!;
    const b = end[child]!;
    if (r === FREE) {
      this.mask.fill(1, a, b);
      return;
    }
    const mine = own[child]!;
    if (mine) this.mask.fill(1, a, a + mine);
    if (b - a === mine) return;
    if (r.pos && r.esc.length === 0) return this.visitName(child, r, r.pos);
    const key = b - a >= MEMO_MIN ? stateKey(r) : undefined;
    if (key === undefined) return this.visit(child, r);
    const k = `${key}#${child}`;
    const memo = this.memo.get(k);
    if (memo) return void this.mask.set(memo, a);
    this.visit(child, r);
    this.memo.set(k, this.mask.slice(a, b));
  }

  /**
   * Inside a name (plain text): a name character only moves the matchers, so the walk
   * steps the positions alone and builds a full state only where the name ends.
   */
  private visitName(node: number, m: Micro, pos: Positions): void {
    const { firstChild, nextSibling, char, start, end, own } = this.vocab;
    for (let child = firstChild[node]!; child !== -1; child = nextSibling[child]!) {
      const c = char[child]!;
      // `/` of a scoped npm name changes more than the positions: the generic step handles it.
      if (!nameCharOf(m, c) || (c === 47 && m.nf === 1)) {
        this.follow(child, step(m.pos === pos ? m : { ...m, pos }, c));
        continue;
      }
      const next = stepAll(m.set, pos, c);
      if (!next) continue;
      const a = start[child]!;
      const mine = own[child]!;
      if (mine) this.mask.fill(1, a, a + mine);
      if (end[child]! - a > mine) this.visitName(child, m, next);
    }
  }

  private toDecision(end: boolean): Decision {
    const { mask, vocab } = this;
    let allowed = 0;
    for (let i = 0; i < mask.length; i++) allowed += mask[i]!;
    // The shorter list: the sampler's cost grows with it.
    const kind = allowed * 2 <= vocab.size ? "allow" : "ban";
    const want = kind === "allow" ? 1 : 0;
    const ids = new Int32Array(kind === "allow" ? allowed : vocab.size - allowed);
    let k = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === want) ids[k++] = vocab.order[i]!;
    return { kind, ids, end, allowed: allowed + (end ? vocab.specials.length : 0) };
  }
}
