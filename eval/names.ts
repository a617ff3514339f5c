/**
 * Name lookups the metrics need beyond verdicts: the nearest valid name (Levenshtein,
 * the paper's Figure 9) and membership in the other ecosystem (Table 3).
 */
import { distance } from "fastest-levenshtein";
import type { Ecosystem } from "../src/packages/types.js";

/** Structural view of src/packages' snapshot lists (sorted names with random access). */
export interface NameList {
  readonly size: number;
  at(i: number): string;
  has(name: string): boolean;
}

export interface NameIndex {
  has(eco: Ecosystem, normalized: string): boolean;
  /** Nearest other valid name and its edit distance (0 only when the name itself is listed). */
  nearest(eco: Ecosystem, normalized: string): { name: string; distance: number } | undefined;
}

class ArrayList implements NameList {
  private readonly set: Set<string>;
  constructor(private readonly names: string[]) {
    this.set = new Set(names);
  }
  get size() {
    return this.names.length;
  }
  at(i: number) {
    return this.names[i]!;
  }
  has(n: string) {
    return this.set.has(n);
  }
}

export function nameIndex(lists: Record<Ecosystem, NameList | string[]>): NameIndex {
  const get = (eco: Ecosystem): NameList => {
    const l = lists[eco];
    return Array.isArray(l) ? new ArrayList(l) : l;
  };
  const resolved = { pypi: get("pypi"), npm: get("npm") };
  // Built lazily: bucketing 886k PyPI names costs ~1 s and is only needed when something was hallucinated.
  const buckets = new Map<Ecosystem, Map<number, string[]>>();
  const bucketsOf = (eco: Ecosystem) => {
    let b = buckets.get(eco);
    if (!b) {
      b = new Map();
      const list = resolved[eco];
      for (let i = 0; i < list.size; i++) {
        const n = list.at(i);
        const arr = b.get(n.length);
        if (arr) arr.push(n);
        else b.set(n.length, [n]);
      }
      buckets.set(eco, b);
    }
    return b;
  };
  return {
    has: (eco, n) => resolved[eco].has(n),
    nearest(eco, n) {
      if (resolved[eco].has(n)) return { name: n, distance: 0 };
      const b = bucketsOf(eco);
      let best: { name: string; distance: number } | undefined;
      // Lengths in order of growing difference; a length gap ≥ the best distance cannot win.
      for (let gap = 0; gap <= 64 && (!best || gap < best.distance); gap++) {
        for (const len of gap === 0 ? [n.length] : [n.length - gap, n.length + gap]) {
          for (const cand of b.get(len) ?? []) {
            const d = distance(n, cand);
            if (!best || d < best.distance || (d === best.distance && cand < best.name)) best = { name: cand, distance: d };
          }
        }
      }
      return best;
    },
  };
}
