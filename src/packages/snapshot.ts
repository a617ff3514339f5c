/**
 * Loads the package master lists and import mappings copied into data/ (built by
 * scripts/build-snapshot.ts, provenance in data/registry/PROVENANCE.md).
 */
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { normalizePypi } from "./names.js";
import { SortedNames } from "./sorted-names.js";

export interface Snapshot {
  pypi: { names: SortedNames; rank: Map<string, number> };
  npm: { names: SortedNames; downloads: Uint32Array };
  /** Python import module → PyPI distribution (pipreqs first, then upm). */
  moduleToDist: Map<string, string>;
  pythonStdlib: Set<string>;
  nodeBuiltins: Set<string>;
  loadMs: number;
}

/** Finds data/ by walking up from this file, so it works from src/ (tsx) and dist/src/ alike. */
export function findDataDir(from = import.meta.dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, "data", "registry", "pypi-names.txt.gz"))) return join(dir, "data");
    const up = dirname(dir);
    if (up === dir) throw new Error(`package snapshot not found above ${from}`);
    dir = up;
  }
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l && !l.startsWith("#"));
}

function loadModuleMap(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  const upm = gunzipSync(readFileSync(join(dir, "mappings", "upm-modules.tsv.gz"))).toString("utf8");
  for (const l of lines(upm)) {
    const [mod, dist] = l.split("\t");
    if (mod && dist) map.set(mod, dist);
  }
  // pipreqs is hand-curated, so it wins over upm's derived lists; our overrides win over both.
  for (const file of ["pipreqs-mapping.txt", "overrides.txt"]) {
    for (const l of lines(readFileSync(join(dir, "mappings", file), "utf8"))) {
      const i = l.indexOf(":");
      if (i > 0) map.set(l.slice(0, i).trim(), l.slice(i + 1).trim());
    }
  }
  return map;
}

export function loadSnapshot(options: { dataDir?: string } = {}): Snapshot {
  const t0 = performance.now();
  const dir = resolve(options.dataDir ?? findDataDir());
  const pypi = SortedNames.fromLines(gunzipSync(readFileSync(join(dir, "registry", "pypi-names.txt.gz")))).names;
  const rank = new Map<string, number>();
  for (const l of lines(readFileSync(join(dir, "registry", "pypi-popular.tsv"), "utf8"))) {
    const [name, r] = l.split("\t");
    if (name && r) rank.set(normalizePypi(name), Number(r));
  }
  const npm = SortedNames.fromLines(gunzipSync(readFileSync(join(dir, "registry", "npm.tsv.gz"))));
  const snapshot: Snapshot = {
    pypi: { names: pypi, rank },
    npm: { names: npm.names, downloads: npm.values },
    moduleToDist: loadModuleMap(dir),
    pythonStdlib: new Set(["python-stdlib.txt", "python-stdlib-extra.txt"].flatMap((f) => lines(readFileSync(join(dir, "mappings", f), "utf8")))),
    // The captured list, plus whatever the running Node knows (newer versions add modules).
    nodeBuiltins: new Set([...lines(readFileSync(join(dir, "mappings", "node-builtins.txt"), "utf8")), ...builtinModules]),
    loadMs: 0,
  };
  snapshot.loadMs = performance.now() - t0;
  return snapshot;
}

let shared: Snapshot | undefined;
/** One snapshot per process: it is read-only, so every checker can share it. */
export function defaultSnapshot(): Snapshot {
  shared ??= loadSnapshot();
  return shared;
}
