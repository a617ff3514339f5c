/**
 * Name matchers: "is this text still the prefix of a real name, and is it a whole one?",
 * one character at a time. A name list is a byte-sorted buffer (the snapshot's own, no
 * copy); a prefix is the range of names that start with it, narrowed by two binary
 * searches per character. That is an implicit trie: 886k PyPI names cost no extra
 * memory and no build time, where an explicit trie would cost millions of nodes.
 */

/** A byte-sorted list of names in one buffer: name i is buf[starts[i]..ends[i]). */
export interface SortedList {
  readonly buf: Buffer;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly size: number;
}

export function sortedListOf(names: Iterable<string>): SortedList {
  const unique = [...new Set(names)].map((n) => Buffer.from(n, "utf8")).sort(Buffer.compare);
  const buf = Buffer.concat(unique);
  const starts = new Uint32Array(unique.length);
  const ends = new Uint32Array(unique.length);
  let at = 0;
  unique.forEach((b, i) => {
    starts[i] = at;
    at += b.length;
    ends[i] = at;
  });
  return { buf, starts, ends, size: unique.length };
}

/** Where a prefix stands in one matcher. Immutable: the decoder branches on it per token. */
export interface NamePos {
  /** Range [lo, hi) of names that start with the prefix (lo = -1 for pattern matchers). */
  readonly lo: number;
  readonly hi: number;
  /** Normalised length of the prefix. */
  readonly d: number;
  /** Last normalised byte, -1 at the start. */
  readonly last: number;
  /** In a trailing run of separators: was the name before the run complete, and is the run only dots? */
  readonly pc: boolean;
  readonly dots: boolean;
}

const START: NamePos = { lo: 0, hi: 0, d: 0, last: -1, pc: false, dots: false };
const DASH = 45;
const DOT = 46;

/**
 * How a matcher compares characters. `pep503`: case-insensitive, `-`, `_` and `.` are one
 * separator and runs of them collapse (PyPI). `exact`: bytes as written (npm, module names).
 */
export type Fold = "pep503" | "exact";

function foldChar(fold: Fold, code: number): number {
  if (code > 127) return -1;
  if (fold === "exact") return code;
  if (code >= 65 && code <= 90) return code + 32;
  if (code === 95 || code === DOT) return DASH;
  return code;
}

export abstract class Matcher {
  constructor(readonly fold: Fold) {}
  abstract start(): NamePos | null;
  protected abstract advance(pos: NamePos, byte: number): NamePos | null;
  abstract complete(pos: NamePos): boolean;

  /** The prefix extended by one typed character, or null when no name continues so. */
  step(pos: NamePos, code: number): NamePos | null {
    const b = foldChar(this.fold, code);
    if (b < 0) return null;
    const sep = this.fold === "pep503" ? b === DASH : b === DOT;
    const lastSep = this.fold === "pep503" ? pos.last === DASH : pos.last === DOT;
    // PEP 503: `a__b` is `a-b`; the run stays one separator.
    if (sep && lastSep && this.fold === "pep503") return { ...pos, dots: pos.dots && code === DOT };
    const next = this.advance(pos, b);
    if (!next) return null;
    if (!sep) return next;
    const run = lastSep ? { pc: pos.pc, dots: pos.dots && code === DOT } : { pc: this.complete(pos), dots: code === DOT };
    return { ...next, ...run };
  }

  /**
   * Whether a name may end here: a whole name, or a whole name followed by dots only
   * ("pip install numpy." in a sentence: the extractor drops the trailing dot).
   */
  accepts(pos: NamePos): boolean {
    return this.complete(pos) || (pos.dots && pos.pc);
  }

  /** Position after typing `text` from the start (e.g. `create-` for `npm create x`). */
  startWith(text: string): NamePos | null {
    let pos = this.start();
    for (let i = 0; pos && i < text.length; i++) pos = this.step(pos, text.charCodeAt(i));
    return pos;
  }
}

/** Names of a sorted list (already normalised as the fold says, e.g. PEP 503 for PyPI). */
export class ListMatcher extends Matcher {
  constructor(readonly list: SortedList, fold: Fold) {
    super(fold);
  }

  start(): NamePos | null {
    return this.list.size ? { ...START, hi: this.list.size } : null;
  }

  complete(pos: NamePos): boolean {
    return pos.lo < pos.hi && this.list.ends[pos.lo]! - this.list.starts[pos.lo]! === pos.d;
  }

  protected advance(pos: NamePos, b: number): NamePos | null {
    const { buf, starts, ends } = this.list;
    const d = pos.d;
    let lo = pos.lo;
    const hi = pos.hi;
    // Every name in [lo, hi) starts with the prefix; only the prefix itself can be that short, and it sorts first.
    if (lo < hi && ends[lo]! - starts[lo]! === d) lo++;
    let a = lo;
    let z = hi;
    while (a < z) {
      const m = (a + z) >>> 1;
      if (buf[starts[m]! + d]! < b) a = m + 1;
      else z = m;
    }
    const first = a;
    z = hi;
    while (a < z) {
      const m = (a + z) >>> 1;
      if (buf[starts[m]! + d]! <= b) a = m + 1;
      else z = m;
    }
    return first === a ? null : { lo: first, hi: a, d: d + 1, last: b, pc: false, dots: false };
  }
}

/** An allowlist pattern with one trailing `*` (`acme-*`, `@acme/*`): the literal, then any name characters. */
export class PatternMatcher extends Matcher {
  private readonly literal: number[];

  constructor(prefix: string, fold: Fold) {
    super(fold);
    this.literal = [...prefix].map((c) => foldChar(fold, c.charCodeAt(0)));
  }

  start(): NamePos {
    return { ...START, lo: -1, hi: -1 };
  }

  complete(pos: NamePos): boolean {
    const sep = this.fold === "pep503" ? pos.last === DASH : false;
    return pos.d > this.literal.length && !sep;
  }

  protected advance(pos: NamePos, b: number): NamePos | null {
    if (pos.d < this.literal.length && this.literal[pos.d] !== b) return null;
    return { ...pos, d: pos.d + 1, last: b, pc: false, dots: false };
  }
}

/**
 * What a completed name means where it was written: a package name, a stop word that ends
 * an install command ("pip install x if needed"), a URL scheme that makes a JS specifier
 * a non-package (`node:fs`), or a module whose mapped distribution is missing (deny).
 */
export type Role = "name" | "stop" | "scheme" | "deny";

export interface MatcherSet {
  /** Stable id: part of the decoder's cache keys. */
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly roles: readonly Role[];
}

export function matcherSet(id: string, entries: readonly { matcher: Matcher; role?: Role }[]): MatcherSet {
  return { id, matchers: entries.map((e) => e.matcher), roles: entries.map((e) => e.role ?? "name") };
}

/** Positions of every matcher of a set for one prefix; null where that matcher is out. */
export type Positions = readonly (NamePos | null)[];

export function startAll(set: MatcherSet, prefix = ""): Positions | null {
  const out = set.matchers.map((m) => (prefix ? m.startWith(prefix) : m.start()));
  return out.some((p) => p) ? out : null;
}

export function stepAll(set: MatcherSet, pos: Positions, code: number): Positions | null {
  // Hot path of the decoder's vocabulary walk: a plain loop, one array, no closures.
  const n = pos.length;
  const out: (NamePos | null)[] = new Array(n);
  let alive = false;
  for (let i = 0; i < n; i++) {
    const p = pos[i]!;
    const next = p && set.matchers[i]!.step(p, code);
    out[i] = next;
    if (next && set.roles[i] !== "deny") alive = true;
  }
  return alive ? out : null;
}

/** Which role a name that ends here has, or undefined when it may not end here. */
export function endRole(set: MatcherSet, pos: Positions): Role | undefined {
  let stop = false;
  let scheme = false;
  let name = false;
  let denied = false;
  pos.forEach((p, i) => {
    if (!p || !set.matchers[i]!.accepts(p)) return;
    const role = set.roles[i]!;
    if (role === "stop") stop = true;
    else if (role === "scheme") scheme = true;
    else if (role === "deny") denied = true;
    else name = true;
  });
  if (stop) return "stop";
  if (name && !denied) return "name";
  if (scheme) return "scheme";
  return undefined;
}

/** Whether a whole name (not only "a name and a trailing dot") of role `name` ends here. */
export function wholeName(set: MatcherSet, pos: Positions): boolean {
  return pos.some((p, i) => !!p && set.roles[i] === "name" && set.matchers[i]!.complete(p));
}
