/**
 * Nearest valid name ("did you mean") by edit distance. A naive scan of 886k names
 * costs hundreds of ms; this index prunes exactly (no missed matches within d):
 * - names are grouped by length (|len a − len b| ≤ d);
 * - "which characters occur" and "which occur twice or more" masks: one edit flips at
 *   most two of those bits, so more than 2d differing bits rules a name out;
 * - a 32-bit hashed bigram mask: one edit removes at most two bigrams and adds two, so
 *   more than 4d differing bits rules it out (hash collisions only weaken the filter);
 * and only the survivors get a real Levenshtein.
 */
import { distance } from "fastest-levenshtein";

export interface NameSource {
  size: number;
  at(i: number): string;
}

export interface Match {
  name: string;
  distance: number;
  /** Position in the source, so callers can look up popularity. */
  index: number;
}

function charBit(c: number): number {
  if (c >= 97 && c <= 122) return c - 97; // a-z
  if (c >= 65 && c <= 90) return c - 65; // A-Z folds onto a-z
  if (c >= 48 && c <= 57) return 26 + (c % 4); // digits share 4 bits: collisions only weaken pruning
  if (c === 45) return 30; // '-'
  return 31;
}

export function charMask(s: string): number {
  return signature(s)[0];
}

/** [characters present, characters present ≥ 2 times, hashed bigrams]. */
export function signature(s: string): [number, number, number] {
  let once = 0;
  let twice = 0;
  let bigrams = 0;
  let prev = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const bit = 1 << charBit(c);
    if (once & bit) twice |= bit;
    once |= bit;
    if (prev >= 0) bigrams |= 1 << (Math.imul(prev * 131 + c, 0x9e3779b1) >>> 27);
    prev = c;
  }
  return [once >>> 0, twice >>> 0, bigrams >>> 0];
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const MAX_LEN = 256;

export class NameIndex {
  /** Source indices grouped by name length; bucket L is ids[start[L]..start[L+1]). */
  private readonly ids: Uint32Array;
  private readonly masks: Uint32Array;
  private readonly twice: Uint32Array;
  private readonly bigrams: Uint32Array;
  private readonly start: Uint32Array;
  readonly buildMs: number;

  constructor(private readonly source: NameSource, filter?: (i: number) => boolean) {
    const t0 = performance.now();
    const keep: number[] = [];
    const lens: number[] = [];
    const counts = new Uint32Array(MAX_LEN + 2);
    for (let i = 0; i < source.size; i++) {
      if (filter && !filter(i)) continue;
      const len = Math.min(source.at(i).length, MAX_LEN);
      keep.push(i);
      lens.push(len);
      counts[len + 1]!++;
    }
    this.start = new Uint32Array(MAX_LEN + 2);
    for (let l = 1; l < MAX_LEN + 2; l++) this.start[l] = this.start[l - 1]! + counts[l]!;
    const fill = this.start.slice();
    this.ids = new Uint32Array(keep.length);
    this.masks = new Uint32Array(keep.length);
    this.twice = new Uint32Array(keep.length);
    this.bigrams = new Uint32Array(keep.length);
    keep.forEach((id, k) => {
      const pos = fill[lens[k]!]!++;
      this.ids[pos] = id;
      const [once, twice, bigrams] = signature(source.at(id));
      this.masks[pos] = once;
      this.twice[pos] = twice;
      this.bigrams[pos] = bigrams;
    });
    this.buildMs = performance.now() - t0;
  }

  get size(): number {
    return this.ids.length;
  }

  /** All names within `maxDistance` of `query`, excluding the query itself. */
  within(query: string, maxDistance: number): Match[] {
    const out: Match[] = [];
    const [qm, q2, qb] = signature(query);
    const lo = Math.max(0, query.length - maxDistance);
    const hi = Math.min(MAX_LEN, query.length + maxDistance);
    for (let len = lo; len <= hi; len++) {
      for (let p = this.start[len]!, end = this.start[len + 1]!; p < end; p++) {
        if (popcount((this.masks[p]! ^ qm) >>> 0) + popcount((this.twice[p]! ^ q2) >>> 0) > 2 * maxDistance) continue;
        if (popcount((this.bigrams[p]! ^ qb) >>> 0) > 4 * maxDistance) continue;
        const name = this.source.at(this.ids[p]!);
        if (name === query) continue;
        const d = distance(query, name);
        if (d <= maxDistance) out.push({ name, distance: d, index: this.ids[p]! });
      }
    }
    return out;
  }
}

/** The reference the index is measured against: Levenshtein against every name. */
export function naiveWithin(source: NameSource, query: string, maxDistance: number): Match[] {
  const out: Match[] = [];
  for (let i = 0; i < source.size; i++) {
    const name = source.at(i);
    if (name === query) continue;
    const d = distance(query, name);
    if (d <= maxDistance) out.push({ name, distance: d, index: i });
  }
  return out;
}

/** Best match: smallest distance, then most popular (lower score), then name order. */
export function best(matches: Match[], score: (m: Match) => number): Match | undefined {
  let top: Match | undefined;
  for (const m of matches) {
    if (!top || m.distance < top.distance || (m.distance === top.distance && (score(m) < score(top) || (score(m) === score(top) && m.name < top.name)))) top = m;
  }
  return top;
}
