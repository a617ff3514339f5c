/**
 * Reading Debian's Translation-en (the long package descriptions) and matching its Python and
 * Node library packages to the selection; `debian-descriptions.ts` is the command around it.
 */
import type { Ecosystem } from "../../src/packages/types.js";
import type { PackageEntry } from "../../src/rag/selection.js";

// Sentences every package of a family carries: they say nothing about the library.
const BOILERPLATE = /this package|node\.js is an event-based|python 3 version|python3 version|this is the python|provides the python/i;

/** Debian's extended description: paragraphs (" ." separated), boilerplate ones out, one line. */
export function describe(stanza: string): string | undefined {
  const body = /^Description-en: (.*(?:\n .*)*)/m.exec(stanza)?.[1];
  if (!body) return undefined;
  const [short, ...rest] = body.split("\n");
  const paragraphs = rest.map((l) => l.replace(/^ /, "")).join("\n").split(/\n\.\n?/);
  const kept = paragraphs.filter((p) => !BOILERPLATE.test(p)).map((p) => p.replace(/\s+/g, " ").trim());
  const text = [short!.replace(/\s*\((Python 3|Python3|Node\.js module)\)\s*$/i, ""), ...kept].join(" ").replace(/\s+/g, " ").trim();
  return text || undefined;
}

/** Debian binary package → its description, for the python3-* and node-* packages. */
export function debianDescriptions(translation: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of translation.split(/\n\n+/)) {
    const pkg = /^Package: (\S+)/m.exec(stanza)?.[1];
    const text = pkg && (pkg.startsWith("python3-") || pkg.startsWith("node-")) ? describe(stanza) : undefined;
    if (pkg && text) out.set(pkg, text);
  }
  return out;
}

/**
 * Selection name → description: python3-X is the PyPI project X (separators as "-"), or the
 * project that installs the module X (python3-yaml → pyyaml, python3-bs4 → beautifulsoup4);
 * node-X is the npm package X. The first match of a name wins.
 */
export function matchSelection(descriptions: ReadonlyMap<string, string>, ecosystem: Ecosystem, entries: readonly Pick<PackageEntry, "name" | "imports">[]): Map<string, string> {
  const byName = new Map(entries.map((e) => [e.name.toLowerCase(), e.name]));
  const byImport = new Map<string, string>();
  for (const e of entries) for (const m of e.imports.split(/\s+/).filter(Boolean)) if (!byImport.has(m.toLowerCase())) byImport.set(m.toLowerCase(), e.name);
  const prefix = ecosystem === "pypi" ? "python3-" : "node-";
  const out = new Map<string, string>();
  for (const [pkg, text] of descriptions) {
    if (!pkg.startsWith(prefix)) continue;
    const bare = pkg.slice(prefix.length);
    const name = byName.get(bare) ?? (ecosystem === "pypi" ? (byName.get(bare.replace(/[._]+/g, "-")) ?? byImport.get(bare)) : undefined);
    if (name && !out.has(name)) out.set(name, text.replace(/\t/g, " "));
  }
  return out;
}
