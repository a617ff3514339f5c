/**
 * Popularity, typosquat targets and "did you mean", over the popular part of each
 * master list (PyPI's ranked top names, npm names above a download threshold).
 * Indexes are built on first use so that start-up stays within the snapshot's load.
 */
import { LRUCache } from "lru-cache";
import type { PackagesConfig } from "./config.js";
import type { Snapshot } from "./snapshot.js";
import { best, NameIndex, type Match, type NameSource } from "./suggest.js";
import type { Ecosystem, RiskSignal } from "./types.js";

type RiskConfig = PackagesConfig["risk"];

// Made-up names are often a real name with an ecosystem affix ("python-yaml", "node-lodash",
// "requests-py"), and edit distance alone then suggests an unrelated neighbour.
const AFFIXES: Record<Ecosystem, { prefix: RegExp; suffix: RegExp }> = {
  pypi: { prefix: /^(python3?|py)[-_.]?/, suffix: /[-_.](python3?|py|lib|sdk|client)$/ },
  npm: { prefix: /^(node|js)[-_.]/, suffix: /[-_.](js|node|lib|sdk|client)$/ },
};

class ArraySource implements NameSource {
  constructor(readonly names: string[]) {}
  get size(): number {
    return this.names.length;
  }
  at(i: number): string {
    return this.names[i]!;
  }
}

export class Popularity {
  private popular: Partial<Record<Ecosystem, { index: NameIndex; source: ArraySource }>> = {};
  private readonly memo = new LRUCache<string, { typo?: RiskSignal; suggestion?: string }>({ max: 20_000 });

  constructor(private readonly snapshot: Snapshot, private readonly risk: RiskConfig) {}

  pypiRank(normalized: string): number | undefined {
    return this.snapshot.pypi.rank.get(normalized);
  }

  npmDownloads(name: string): number | undefined {
    const i = this.snapshot.npm.names.indexOf(name);
    return i === -1 ? undefined : this.snapshot.npm.downloads[i];
  }

  /** Lower is more popular; Infinity when unknown. */
  score(ecosystem: Ecosystem, name: string): number {
    if (ecosystem === "pypi") return this.pypiRank(name) ?? Infinity;
    const d = this.npmDownloads(name);
    return d === undefined ? Infinity : -d;
  }

  private index(ecosystem: Ecosystem): { index: NameIndex; source: ArraySource } {
    const cached = this.popular[ecosystem];
    if (cached) return cached;
    const names: string[] = [];
    if (ecosystem === "pypi") {
      for (const [n] of this.snapshot.pypi.rank) names.push(n);
    } else {
      const { names: list, downloads } = this.snapshot.npm;
      for (let i = 0; i < list.size; i++) if (downloads[i]! >= this.risk.popularNpmDownloads) names.push(list.at(i));
    }
    const source = new ArraySource(names);
    const built = { index: new NameIndex(source), source };
    this.popular[ecosystem] = built;
    return built;
  }

  private distanceFor(name: string): number {
    return name.length <= 5 ? 1 : this.risk.maxDistance;
  }

  private nearest(ecosystem: Ecosystem, name: string, accept: (m: Match) => boolean): Match | undefined {
    const matches = this.index(ecosystem).index.within(name, this.distanceFor(name)).filter(accept);
    return best(matches, (m) => this.score(ecosystem, m.name));
  }

  /** Popular name within a small distance of an existing, much less popular one. */
  typosquat(ecosystem: Ecosystem, name: string): RiskSignal | undefined {
    return this.memoized(ecosystem, name).typo;
  }

  /** "Did you mean": the nearest popular name. */
  suggest(ecosystem: Ecosystem, name: string): string | undefined {
    return this.memoized(ecosystem, name).suggestion;
  }

  private memoized(ecosystem: Ecosystem, name: string): { typo?: RiskSignal; suggestion?: string } {
    const key = `${ecosystem}:${name}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const out: { typo?: RiskSignal; suggestion?: string } = {};
    const sugg = this.affixSuggestion(ecosystem, name) ?? this.nearest(ecosystem, name, () => true)?.name;
    if (sugg) out.suggestion = sugg;
    const typo = this.nearest(ecosystem, name, (m) => this.muchMorePopular(ecosystem, m.name, name));
    if (typo) {
      const pop = ecosystem === "pypi" ? `rank ${this.pypiRank(typo.name)}` : `${this.npmDownloads(typo.name)} downloads/month`;
      out.typo = { kind: "typosquat", detail: `within ${typo.distance} edit${typo.distance > 1 ? "s" : ""} of '${typo.name}' (${pop})`, similarTo: typo.name };
    }
    this.memo.set(key, out);
    return out;
  }

  /**
   * The most popular real package behind an affixed name: the core itself, `py<core>`,
   * or the distribution that installs a module named like the core (`yaml` → PyYAML).
   */
  private affixSuggestion(ecosystem: Ecosystem, name: string): string | undefined {
    const { prefix, suffix } = AFFIXES[ecosystem];
    const core = name.replace(prefix, "").replace(suffix, "");
    if (core === name || core.length < 2) return undefined;
    const candidates = ecosystem === "pypi"
      ? [core, `py${core}`, this.snapshot.moduleToDist.get(core.replace(/-/g, "_"))].filter((c): c is string => !!c)
      : [core];
    const normalized = candidates.map((c) => (ecosystem === "pypi" ? c.replace(/[-_.]+/g, "-").toLowerCase() : c));
    return best(
      normalized.filter((c) => this.score(ecosystem, c) !== Infinity).map((c, index) => ({ name: c, distance: 0, index })),
      (m) => this.score(ecosystem, m.name),
    )?.name;
  }

  private muchMorePopular(ecosystem: Ecosystem, target: string, self: string): boolean {
    if (ecosystem === "pypi") {
      const t = this.pypiRank(target);
      const s = this.pypiRank(self);
      return t !== undefined && t <= this.risk.popularPypiRank && (s === undefined || s >= t * this.risk.popularityRatio);
    }
    const t = this.npmDownloads(target) ?? 0;
    const s = this.npmDownloads(self) ?? 0;
    return t >= this.risk.popularNpmDownloads && t >= Math.max(s, 1) * this.risk.popularityRatio;
  }
}
