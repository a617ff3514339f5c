/**
 * The name lists the decoder holds names to, built once per snapshot × options and shared
 * by every request: PyPI (all 886k or the most downloaded), npm, Python import names (the
 * import→distribution mapping of src/packages and the standard library), Node builtins,
 * the allowlist, and the stop words that end an install command in prose.
 */
import { createHash } from "node:crypto";
import { STOP_WORDS as EXTRACTOR_STOP_WORDS } from "../../packages/extract/managers.js";
import { normalizePypi } from "../../packages/names.js";
import type { Snapshot } from "../../packages/snapshot.js";
import type { DecodeOptions } from "./config.js";
import { ListMatcher, matcherSet, PatternMatcher, sortedListOf, type Matcher, type MatcherSet, type Role, type SortedList } from "./matchers.js";

export interface NameLists {
  /** Changes when the lists do: part of every cache key downstream. */
  readonly id: string;
  readonly install: { pypi: MatcherSet; npm: MatcherSet; conda: MatcherSet | undefined };
  /** `npm create x` runs `create-x`: the npm list entered at `create-`. */
  readonly create: MatcherSet;
  readonly jsImport: MatcherSet;
  readonly list: { pypi: MatcherSet; npm: MatcherSet };
  readonly requirements: MatcherSet;
  readonly packageJson: MatcherSet;
  /** Python imports, plus the modules the answer itself defines (`utils.py`): a set per distinct locals list. */
  pyImport(locals: readonly string[]): MatcherSet;
  readonly stats: { pypiNames: number; npmNames: number; importNames: number; buildMs: number };
}

/** The extractor's stop words that can be typed as a name ("doesn't" cannot: `'` ends a name). */
const STOP_WORDS = [...EXTRACTOR_STOP_WORDS].map((w) => w.replace(/\.$/, "")).filter((w) => /^[a-z][a-z.]*$/.test(w));

/** Specifier schemes that make a JS import a non-package (`node:fs`, `npm:x` in Deno, URLs). */
const SCHEMES = ["node", "bun", "deno", "npm", "jsr", "http", "https", "data", "file", "virtual"];
/** Install arguments that are URLs, VCS or local references rather than registry names. */
const INSTALL_SCHEMES = {
  pypi: ["git", "hg", "svn", "bzr", "http", "https", "file"],
  npm: ["git", "github", "gitlab", "bitbucket", "http", "https", "file", "link", "workspace", "portal"],
};

const cache = new WeakMap<Snapshot, Map<string, NameLists>>();

export function nameListsFor(snapshot: Snapshot, options: Pick<DecodeOptions, "names" | "allowlist" | "conda">): NameLists {
  const key = JSON.stringify([options.names, options.allowlist, options.conda]);
  let perSnapshot = cache.get(snapshot);
  if (!perSnapshot) cache.set(snapshot, (perSnapshot = new Map()));
  let lists = perSnapshot.get(key);
  if (!lists) perSnapshot.set(key, (lists = buildNameLists(snapshot, options, key)));
  return lists;
}

function pypiList(snapshot: Snapshot, choice: DecodeOptions["names"]["pypi"]): { list: SortedList; has: (n: string) => boolean } {
  if (choice === "all") {
    const names = snapshot.pypi.names;
    return { list: { ...names.view(), size: names.size }, has: (n) => names.has(n) };
  }
  const top = new Set([...snapshot.pypi.rank].filter(([, r]) => r <= choice.top).map(([n]) => n));
  return { list: sortedListOf(top), has: (n) => top.has(n) };
}

function npmList(snapshot: Snapshot, choice: DecodeOptions["names"]["npm"]): SortedList {
  const { names, downloads } = snapshot.npm;
  if (choice === "all") return { ...names.view(), size: names.size };
  const kept: string[] = [];
  for (let i = 0; i < names.size; i++) if (downloads[i]! >= choice.minDownloads) kept.push(names.at(i));
  return sortedListOf(kept);
}

function allowMatchers(entries: readonly string[], fold: "pep503" | "exact"): Matcher[] {
  const norm = (s: string) => (fold === "pep503" ? normalizePypi(s) : s);
  const exact = entries.filter((e) => !e.endsWith("*")).map(norm);
  const out: Matcher[] = exact.length ? [new ListMatcher(sortedListOf(exact), fold)] : [];
  for (const p of entries.filter((e) => e.endsWith("*"))) out.push(new PatternMatcher(p.slice(0, -1), fold));
  return out;
}

/**
 * Import names, as the checker resolves a bare `import x`: the standard library, then the
 * mapping (`cv2` → opencv-python), then the name itself. A module is allowed when that
 * distribution is in the list; a mapped module whose distribution is missing is denied even
 * if a project of the same name exists, because the checker would look up the mapped one.
 */
function importNames(snapshot: Snapshot, has: (normalized: string) => boolean): { allowed: string[]; denied: string[] } {
  const allowed = new Set(snapshot.pythonStdlib);
  const denied = new Set<string>();
  for (const key of snapshot.moduleToDist.keys()) {
    const top = key.split(".")[0]!;
    if (!/^[A-Za-z_]\w*$/.test(top) || allowed.has(top)) continue;
    const dist = snapshot.moduleToDist.get(top) ?? top;
    if (has(normalizePypi(dist))) allowed.add(top);
    else if (snapshot.moduleToDist.has(top)) denied.add(top);
  }
  return { allowed: [...allowed], denied: [...denied] };
}

function buildNameLists(snapshot: Snapshot, options: Pick<DecodeOptions, "names" | "allowlist" | "conda">, key: string): NameLists {
  const t0 = performance.now();
  const pypi = pypiList(snapshot, options.names.pypi);
  const npm = npmList(snapshot, options.names.npm);
  const imports = importNames(snapshot, pypi.has);
  const pypiM = new ListMatcher(pypi.list, "pep503");
  const npmM = new ListMatcher(npm, "exact");
  const allowPy = allowMatchers(options.allowlist.pypi, "pep503");
  const allowNpm = allowMatchers(options.allowlist.npm, "exact");
  const stdlib = new ListMatcher(sortedListOf(snapshot.pythonStdlib), "exact");
  const builtins = new ListMatcher(sortedListOf(snapshot.nodeBuiltins), "exact");
  const stops = new ListMatcher(sortedListOf(STOP_WORDS.map(normalizePypi)), "pep503");
  const modules = new ListMatcher(sortedListOf(imports.allowed), "exact");
  const denied = new ListMatcher(sortedListOf(imports.denied), "exact");
  const pySchemes = new ListMatcher(sortedListOf(INSTALL_SCHEMES.pypi), "pep503");
  const npmSchemes = new ListMatcher(sortedListOf(INSTALL_SCHEMES.npm), "exact");
  const id = createHash("sha256").update(key).update(String(pypi.list.size)).update(String(npm.size)).digest("hex").slice(0, 12);
  const e = (matcher: Matcher, role: Role = "name") => ({ matcher, role });
  const pyNames = [e(pypiM), ...allowPy.map((m) => e(m))];
  const npmNames = [e(npmM), ...allowNpm.map((m) => e(m))];
  const importBase = [e(modules), ...pyNames, e(denied, "deny")];
  const importSets = new Map<string, MatcherSet>();
  return {
    id,
    install: {
      pypi: matcherSet(`${id}:install-pypi`, [...pyNames, e(stops, "stop"), e(pySchemes, "scheme")]),
      npm: matcherSet(`${id}:install-npm`, [...npmNames, e(stops, "stop"), e(npmSchemes, "scheme")]),
      conda: options.conda === "pypi" ? matcherSet(`${id}:install-conda`, [...pyNames, e(stops, "stop"), e(pySchemes, "scheme")]) : undefined,
    },
    create: matcherSet(`${id}:create`, [e(npmM)]),
    jsImport: matcherSet(`${id}:js-import`, [...npmNames, e(builtins), e(new ListMatcher(sortedListOf(SCHEMES), "exact"), "scheme")]),
    list: { pypi: matcherSet(`${id}:list-pypi`, [...pyNames, e(stdlib)]), npm: matcherSet(`${id}:list-npm`, [...npmNames, e(builtins)]) },
    requirements: matcherSet(`${id}:requirements`, [...pyNames, e(pySchemes, "scheme")]),
    packageJson: matcherSet(`${id}:package-json`, npmNames),
    pyImport(locals) {
      const k = [...locals].sort().join(",");
      let set = importSets.get(k);
      if (!set) {
        const extra = locals.length ? [e(new ListMatcher(sortedListOf(locals), "exact"))] : [];
        set = matcherSet(`${id}:py-import:${k}`, [...importBase, ...extra]);
        // Answers name few local modules, but a client controls them: keep the set count bounded.
        if (importSets.size > 256) importSets.clear();
        importSets.set(k, set);
      }
      return set;
    },
    stats: { pypiNames: pypi.list.size, npmNames: npm.size, importNames: imports.allowed.length, buildMs: performance.now() - t0 },
  };
}
