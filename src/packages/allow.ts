/**
 * The allowlist: private packages, by exact name or glob (`@acme/*`, `acme-*`), per
 * ecosystem. An allowed package is never flagged as made up and never looked up: its name
 * must not leave the gateway.
 */
import { packageKey } from "./names.js";
import type { PackageEcosystem } from "./types.js";

/** Longer names are never allowed (no valid package name is this long; bounds the glob match). */
const MAX_NAME = 214;

/** `*` matches any run of characters (slashes too), `?` one character; backtracks only to the last `*`. */
function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = n;
    } else if (star !== -1) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}

export class Allowlist {
  private readonly exact = new Map<PackageEcosystem, Set<string>>();
  private readonly globs = new Map<PackageEcosystem, string[]>();

  constructor(allow: Partial<Record<PackageEcosystem, string[]>>) {
    for (const [eco, patterns] of Object.entries(allow) as [PackageEcosystem, string[]][]) {
      const exact = new Set<string>();
      const globs: string[] = [];
      // Patterns are keyed like names, so `Acme_Utils` allows `acme-utils` on PyPI.
      for (const p of patterns) {
        const key = packageKey(eco, p);
        if (/[*?]/.test(p)) globs.push(key);
        else exact.add(key);
      }
      this.exact.set(eco, exact);
      this.globs.set(eco, globs);
    }
  }

  has(ecosystem: PackageEcosystem, name: string): boolean {
    if (name.length > MAX_NAME) return false;
    const key = packageKey(ecosystem, name);
    if (this.exact.get(ecosystem)?.has(key)) return true;
    return (this.globs.get(ecosystem) ?? []).some((g) => globMatch(g, key));
  }

  get size(): number {
    let n = 0;
    for (const s of this.exact.values()) n += s.size;
    for (const g of this.globs.values()) n += g.length;
    return n;
  }
}
