/**
 * The paper's three heuristics. H1 reads install commands and imports from the code
 * answer; H2 and H3 read a comma-separated package list. Package intelligence
 * (src/packages) extracts from code and decides every verdict.
 */
import type { CheckedPackage, Ecosystem, PackageChecker } from "../src/packages/types.js";

export interface PkgVerdict {
  name: string;
  normalized: string;
  verdict: CheckedPackage["verdict"];
  source: CheckedPackage["source"];
}

/** Strips list decoration ("1.", "-", backticks, versions, "pip install") from list answers. */
export function parseList(answer: string): string[] {
  const names: string[] = [];
  for (let part of answer.split(/[,\n;]+/)) {
    part = part
      .replace(/^\s*(?:[-*•]|\d+[.)])\s*/, "")
      .replace(/^(?:pip3?|npm|yarn|pnpm)\s+(?:install|add|i)\s+/i, "")
      .replace(/[`'"*]/g, "")
      .trim();
    if (!part) continue;
    const first = part.split(/\s+/)[0] ?? "";
    // A name, possibly scoped, possibly with a version specifier that is cut off.
    const m = /^(@?[A-Za-z0-9][\w.\-/]*?)(?:[=<>!~^@]=?.*)?$/.exec(first.startsWith("@") ? first.replace(/(@[^@]+)@.*$/, "$1") : first);
    const name = m?.[1]?.replace(/[.:]+$/, "");
    if (name && part.split(/\s+/).length <= 3) names.push(name);
  }
  return names;
}

function dedupe(pkgs: CheckedPackage[], ecosystem: Ecosystem): PkgVerdict[] {
  const seen = new Map<string, PkgVerdict>();
  for (const p of pkgs) {
    if (p.ecosystem !== ecosystem || seen.has(p.normalized)) continue;
    seen.set(p.normalized, { name: p.name, normalized: p.normalized, verdict: p.verdict, source: p.source });
  }
  return [...seen.values()];
}

/** H1: packages in generated code (install commands and imports), in the prompt's ecosystem. */
export async function h1Packages(checker: PackageChecker, code: string, ecosystem: Ecosystem, signal?: AbortSignal): Promise<PkgVerdict[]> {
  const report = await checker.check({ text: code, ecosystem, language: ecosystem === "pypi" ? "python" : "javascript" }, { signal });
  return dedupe(report.packages, ecosystem);
}

/** Standard-library modules named in a list are not packages (the paper filtered them too). */
export interface Builtins {
  pythonStdlib: Set<string>;
  nodeBuiltins: Set<string>;
}

export function isBuiltin(b: Builtins | undefined, ecosystem: Ecosystem, name: string): boolean {
  if (!b) return false;
  return ecosystem === "pypi" ? b.pythonStdlib.has(name) : b.nodeBuiltins.has(name.replace(/^node:/, ""));
}

/** H2/H3: the names of a package-list answer. */
export async function listPackages(checker: PackageChecker, answer: string, ecosystem: Ecosystem, signal?: AbortSignal, builtins?: Builtins): Promise<PkgVerdict[]> {
  const names = parseList(answer).filter((n) => !isBuiltin(builtins, ecosystem, n));
  if (names.length === 0) return [];
  const report = await checker.check({ packages: names, ecosystem }, { signal });
  return dedupe(report.packages, ecosystem);
}
