/**
 * Extraction: every package an answer asks the user to install, tagged with where
 * it came from and its line. Pure and synchronous: no registry access here.
 */
import type { CheckInput, Ecosystem, FoundPackage, PackageEcosystem, PackageSource, ToolCallLocation } from "../types.js";
import { packageKey } from "../names.js";
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
  requirements: "requirements", package_json: "package_json",
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

/** A package as found, before de-duplication. */
export interface Raw { name: string; ecosystem: PackageEcosystem; source: PackageSource; line: number; module?: string; location?: ToolCallLocation }

/** `markdown`: the block is from an answer; otherwise it is bare code (an editor's completion may be a piece of its file). */
function fromBlock(block: Block, ctx: ExtractContext, locals: Set<string>, o: { hint?: Ecosystem | undefined; markdown: boolean }): Raw[] {
  const out: Raw[] = [];
  const kind = block.kind === "unknown" ? guessKind(block.lines, o.hint) : block.kind;
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
    for (const h of findPackageJsonDeps(block.lines, block.firstLine, o.markdown ? false : "unless-whole")) out.push({ name: h.name, ecosystem: "npm", source: "package_json", line: h.line });
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

export interface TextOptions {
  ecosystem?: Ecosystem;
  language?: string;
  /** Markdown (an answer) rather than bare code. */
  markdown: boolean;
  /** Read a text that is nothing but a list of names as packages (answers yes; tool arguments no). */
  bareList?: { expectList?: boolean };
}

/** Packages of an answer's text (or bare code), not yet de-duplicated. */
export function textRaws(text: string, ctx: ExtractContext, o: TextOptions): Raw[] {
  let blocks = o.markdown ? splitMarkdown(text) : [];
  if (!o.markdown || !blocks.some((b) => b.kind !== "prose")) {
    const kind = LANGUAGE_KIND[(o.language ?? "").toLowerCase()] ?? "unknown";
    blocks = [{ kind, lines: text.split(/\r?\n/), firstLine: 1, info: "", caption: "" }];
  }
  const locals = localModules(text);
  const found: Raw[] = [];
  // Loops, not push(...spread): one block can hold 100k+ hits, more than a call's arguments may be.
  for (const b of blocks) for (const r of fromBlock(b, ctx, locals, { hint: o.ecosystem, markdown: o.markdown })) found.push(r);
  if (found.length === 0 && o.markdown && o.bareList) return fromBareList(text, o.ecosystem, o.language, o.bareList.expectList);
  return found;
}

export function extractPackages(input: CheckInput, ctx: ExtractContext): FoundPackage[] {
  const raws: Raw[] = fromList(input);
  const text = input.text ?? input.code;
  if (text) {
    const opts: TextOptions = { markdown: input.text !== undefined, bareList: input.expectList === undefined ? {} : { expectList: input.expectList } };
    if (input.ecosystem) opts.ecosystem = input.ecosystem;
    if (input.language) opts.language = input.language;
    for (const r of textRaws(text, ctx, opts)) raws.push(r);
  }
  return dedupe(raws);
}

function fromBareList(text: string, ecosystem: Ecosystem | undefined, language: string | undefined, expectList: boolean | undefined): Raw[] {
  const js = isJs({ ...(ecosystem ? { ecosystem } : {}), ...(language ? { language } : {}) });
  const options = expectList === undefined ? { js } : { js, expectList };
  return findBareList(text, options).map((h) => ({ ...h, ecosystem: js ? "npm" : "pypi", source: "list" }));
}

/**
 * One entry per package and place: the first line it appears on in the text, and in each
 * tool call the first argument (in order) and line. A name in two calls is reported twice,
 * so the gateway can act on each call.
 */
export function dedupe(raws: Raw[]): FoundPackage[] {
  // scope (tool call id, "" for text) → ecosystem → keys seen; nested, so no key string is built per hit.
  const seen = new Map<string, Map<PackageEcosystem, Set<string>>>();
  const out: FoundPackage[] = [];
  // Text by line (sort is stable); tool calls in the order their extractor gave (call, argument, line).
  const ordered = raws.filter((r) => !r.location).sort((a, b) => a.line - b.line);
  for (const r of raws) if (r.location) ordered.push(r);
  for (const r of ordered) {
    const normalized = packageKey(r.ecosystem, r.name);
    const scope = r.location?.toolCallId ?? "";
    let byEco = seen.get(scope);
    if (!byEco) seen.set(scope, (byEco = new Map()));
    let keys = byEco.get(r.ecosystem);
    if (!keys) byEco.set(r.ecosystem, (keys = new Set()));
    if (keys.has(normalized)) continue;
    keys.add(normalized);
    const found: FoundPackage = { name: r.name, normalized, ecosystem: r.ecosystem, source: r.source, line: r.line };
    if (r.module !== undefined) found.module = r.module;
    if (r.location) found.location = r.location;
    out.push(found);
  }
  return out;
}
