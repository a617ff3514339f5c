/**
 * Extraction: every package an answer asks the user to install, tagged with where
 * it came from and its line. Pure and synchronous: no registry access here.
 */
import type { CheckInput, Ecosystem, FoundPackage, PackageEcosystem, PackageSource } from "../types.js";
import { normalizeName } from "../names.js";
import { findInstalls, npmNameOfSpec, pypiNameOfSpec } from "./install.js";
import { findJsImports, findPackageJsonDeps } from "./javascript.js";
import { splitMarkdown, type Block, type BlockKind } from "./markdown.js";
import { findBareList } from "./list.js";
import { findPyproject, findSetupPy, looksLikePyproject } from "./manifests.js";
import { distributionOf, findPythonImports, findRequirements, localModules, looksLikeRequirements, type ModuleMaps } from "./python.js";

export interface ExtractContext extends ModuleMaps {
  nodeBuiltins: Set<string>;
}

const LANGUAGE_KIND: Record<string, BlockKind> = {
  python: "python", py: "python", javascript: "javascript", js: "javascript", typescript: "javascript", ts: "javascript",
};

function guessKind(lines: string[], hint?: Ecosystem): BlockKind {
  const text = lines.join("\n");
  if (/^\s*\{[\s\S]*"(dev)?[dD]ependencies"\s*:/.test(text)) return "package_json";
  if (looksLikeRequirements(lines)) return "requirements";
  if (looksLikePyproject(lines)) return "pyproject";
  const py = /^\s*(from\s+[\w.]+\s+import\s|import\s+[\w.]+(\s+as\s+\w+)?\s*$|def\s+\w+\(.*\):|class\s+\w+.*:\s*$)/m.test(text);
  const js = /\brequire\s*\(|^\s*import\s.*\sfrom\s*["']|^\s*(const|let|var)\s|=>|console\.log/m.test(text);
  if (py && !js) return "python";
  if (js && !py) return "javascript";
  if (py && js) return hint === "npm" ? "javascript" : "python";
  return "unknown";
}

interface Raw { name: string; ecosystem: PackageEcosystem; source: PackageSource; line: number; module?: string }

function fromBlock(block: Block, ctx: ExtractContext, locals: Set<string>, hint?: Ecosystem): Raw[] {
  const out: Raw[] = [];
  const kind = block.kind === "unknown" ? guessKind(block.lines, hint) : block.kind;
  const installs = findInstalls(block.lines, block.firstLine, kind === "prose");
  for (const h of installs) out.push({ ...h, source: "install" });
  if (kind === "python") {
    for (const hit of findPythonImports(block.lines, block.firstLine)) {
      if (locals.has(hit.module)) continue;
      const dist = distributionOf(hit, ctx);
      if (dist) out.push({ name: dist, ecosystem: "pypi", source: "import", line: hit.line, module: hit.module });
    }
    for (const h of findSetupPy(block.lines, block.firstLine)) out.push({ ...h, ecosystem: "pypi", source: "requirements" });
  } else if (kind === "javascript") {
    for (const h of findJsImports(block.lines, block.firstLine, ctx.nodeBuiltins)) {
      out.push({ name: h.name, ecosystem: "npm", source: "import", line: h.line, module: h.specifier });
    }
  } else if (kind === "pyproject") {
    for (const h of findPyproject(block.lines, block.firstLine)) out.push({ ...h, ecosystem: "pypi", source: "requirements" });
  } else if (kind === "requirements") {
    for (const h of findRequirements(block.lines, block.firstLine)) out.push({ ...h, ecosystem: "pypi", source: "requirements" });
  } else if (kind === "package_json") {
    for (const h of findPackageJsonDeps(block.lines, block.firstLine)) out.push({ name: h.name, ecosystem: "npm", source: "package_json", line: h.line });
  }
  return out;
}

function isJs(input: CheckInput): boolean {
  return input.ecosystem === "npm" || (!input.ecosystem && /^(javascript|typescript|js|ts)$/i.test(input.language ?? ""));
}

function fromList(input: CheckInput): Raw[] {
  const out: Raw[] = [];
  (input.packages ?? []).forEach((raw, i) => {
    const js = isJs(input);
    const name = js ? npmNameOfSpec(raw) : pypiNameOfSpec(raw);
    // A list entry that does not parse is still reported (as written) so it gets a verdict.
    out.push({ name: name ?? raw.trim(), ecosystem: js ? "npm" : "pypi", source: "list", line: i + 1 });
  });
  return out;
}

export function extractPackages(input: CheckInput, ctx: ExtractContext): FoundPackage[] {
  const raws: Raw[] = fromList(input);
  const text = input.text ?? input.code;
  if (text) {
    let blocks = input.text !== undefined ? splitMarkdown(text) : [];
    if (input.text === undefined || !blocks.some((b) => b.kind !== "prose")) {
      const kind = LANGUAGE_KIND[(input.language ?? "").toLowerCase()] ?? "unknown";
      blocks = [{ kind, lines: text.split(/\r?\n/), firstLine: 1, info: "", caption: "" }];
    }
    const locals = localModules(text);
    const found: Raw[] = [];
    for (const b of blocks) found.push(...fromBlock(b, ctx, locals, input.ecosystem));
    if (found.length === 0 && input.text !== undefined) found.push(...fromBareList(input, input.text));
    raws.push(...found);
  }
  return dedupe(raws);
}

function fromBareList(input: CheckInput, text: string): Raw[] {
  const js = isJs(input);
  const options = input.expectList === undefined ? { js } : { js, expectList: input.expectList };
  return findBareList(text, options).map((h) => ({ ...h, ecosystem: js ? "npm" : "pypi", source: "list" }));
}

/** One entry per package: the first place it appears. */
function dedupe(raws: Raw[]): FoundPackage[] {
  const seen = new Map<string, FoundPackage>();
  for (const r of raws.sort((a, b) => a.line - b.line)) {
    const normalized = normalizeName(r.ecosystem, r.name);
    const key = `${r.ecosystem}:${normalized}`;
    if (seen.has(key)) continue;
    const found: FoundPackage = { name: r.name, normalized, ecosystem: r.ecosystem, source: r.source, line: r.line };
    if (r.module !== undefined) found.module = r.module;
    seen.set(key, found);
  }
  return [...seen.values()];
}
