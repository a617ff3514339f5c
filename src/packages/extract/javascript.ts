/**
 * JavaScript/TypeScript module specifiers (require, import, dynamic import,
 * export-from) and package.json dependency blocks → npm package names.
 */
import { npmNameOfSpec } from "./install.js";
import { isValidNpmName, npmPackageOfSpecifier } from "../names.js";
import { lineOf, lineStarts } from "./lines.js";

export interface JsHit {
  name: string;
  /** The specifier as written (`lodash/debounce`). */
  specifier: string;
  line: number;
}

const PATTERNS = [
  /\brequire\s*\(\s*(["'`])([^"'`$\s]+)\1\s*\)/g,
  /(?:^|[;\s])import\s*(["'])([^"'\s]+)\1/g,
  /\bimport\s*\(\s*(["'`])([^"'`$\s]+)\1\s*[,)]/g,
];

/** `from "x"` ends an import/export statement; its clause is checked backwards (linear, no backtracking). */
const FROM = /\bfrom\s*(["'])([^"'\s]+)\1/g;
const CLAUSE = /^\s+(?:type\s+)?[\w*${}\s,]*$/;

function isImportFrom(text: string, at: number): boolean {
  const window = text.slice(Math.max(0, at - 4000), at);
  let kw = -1;
  for (const m of window.matchAll(/(?<![\w$.])(?:import|export)(?![\w$])/g)) kw = m.index!;
  return kw !== -1 && CLAUSE.test(window.slice(kw + 6));
}

/** Specifiers that are not registry packages: paths, URLs, `node:`, aliases like `@/` or `~/`. */
function isExternal(spec: string): boolean {
  if (/^(?:\.|\/|~|#|[A-Za-z]:\\|node:|bun:|deno:|npm:|jsr:|https?:|data:|file:|virtual:)/.test(spec)) return false;
  if (spec.startsWith("@/") || spec === "@") return false;
  return true;
}

export function findJsImports(lines: string[], firstLine: number, builtins: Set<string>): JsHit[] {
  const text = lines.map((l) => l.replace(/(^|[^:"'`\\])\/\/.*$/, "$1")).join("\n");
  const starts = lineStarts(text);
  const hits: JsHit[] = [];
  const matches = PATTERNS.flatMap((re) => [...text.matchAll(re)]);
  for (const m of text.matchAll(FROM)) if (isImportFrom(text, m.index!)) matches.push(m);
  {
    for (const m of matches) {
      const spec = m[2]!;
      if (!isExternal(spec)) continue;
      const name = npmPackageOfSpecifier(spec);
      if (builtins.has(name) || builtins.has(name.split("/")[0]!) || !isValidNpmName(name)) continue;
      hits.push({ name, specifier: spec, line: firstLine + lineOf(starts, m.index! + m[0].indexOf(spec)) });
    }
  }
  return hits.sort((a, b) => a.line - b.line);
}

const DEP_SECTIONS = new Set(["dependencies", "devDependencies", "peerDependencies", "optionalDependencies", "bundledDependencies"]);

/** Keys of a package.json outside dependency sections whose values look like versions. */
const NOT_DEPS = new Set(["version", "node", "npm", "yarn", "pnpm", "bun", "deno", "vscode", "electron", "typescript-version"]);
const VERSIONISH = /^(?:[\^~<>=*]|v?\d|x$|latest$|next$|npm:|catalog:)/;

function depOf(key: string, value: string): string | undefined {
  const aliased = value.startsWith("npm:") ? npmNameOfSpec(`${key}@${value}`) : undefined;
  const local = /^(?:file:|link:|workspace:|portal:|git|https?:|github:|\.|\/)/.test(value) || /^[^@\s]+\/[^@\s]+$/.test(value);
  const name = aliased ?? (local ? undefined : key);
  return name && isValidNpmName(name) ? name : undefined;
}

/**
 * Dependencies of a package.json block; tolerant of comments and trailing commas LLMs write.
 * With `fragment` (the part of a package.json an edit or patch shows), entries outside any
 * section the fragment opens count when their value looks like a version (`"x": "^1.2"`):
 * the edit cut off the `"dependencies": {` line above them. `"unless-whole"` (an editor's
 * completion of the file): a fragment unless the block parses as a whole document.
 */
export function findPackageJsonDeps(lines: string[], firstLine: number, fragment: boolean | "unless-whole" = false): JsHit[] {
  if (fragment !== true) {
    const parsed = parsedDeps(lines, firstLine);
    if (parsed) return parsed;
  }
  return scannedDeps(lines, firstLine, fragment !== false);
}

function scannedDeps(lines: string[], firstLine: number, fragment: boolean): JsHit[] {
  const hits: JsHit[] = [];
  // Keys of the objects open at each depth; depth 0 is outside the document's root object.
  const open: (string | undefined)[] = [];
  let pending: string | undefined;
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|[^:"])\/\/.*$/, "$1");
    const section = open.length ? open[open.length - 1] : undefined;
    const entry = /^\s*"([^"]+)"\s*:\s*"([^"]*)"/.exec(line);
    if (entry) {
      const [, key, value] = entry as unknown as [string, string, string];
      const inDeps = section !== undefined && DEP_SECTIONS.has(section) && (fragment || open.length === 2);
      const loose = fragment && open.length === 0 && !NOT_DEPS.has(key) && VERSIONISH.test(value);
      const name = inDeps || loose ? depOf(key, value) : undefined;
      if (name) hits.push({ name, specifier: key, line: firstLine + i });
    }
    pending = /"([A-Za-z]+)"\s*:\s*(?=\{)/.exec(line)?.[1];
    for (const ch of line.replace(/"(?:[^"\\]|\\.)*"/g, "")) {
      if (ch === "{") {
        open.push(pending);
        pending = undefined;
      } else if (ch === "}") open.pop();
    }
  });
  return hits;
}

/** A whole package.json that parses as JSON (minified ones too); lines found by searching for each key. */
function parsedDeps(lines: string[], firstLine: number): JsHit[] | undefined {
  const text = lines.join("\n");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return undefined;
  const starts = lineStarts(text);
  const hits: JsHit[] = [];
  for (const [section, deps] of Object.entries(doc)) {
    if (!DEP_SECTIONS.has(section) || deps === null || typeof deps !== "object" || Array.isArray(deps)) continue;
    const from = text.indexOf(`"${section}"`);
    for (const [key, value] of Object.entries(deps as Record<string, unknown>)) {
      const name = typeof value === "string" ? depOf(key, value) : undefined;
      const at = text.indexOf(JSON.stringify(key), from);
      if (name) hits.push({ name, specifier: key, line: firstLine + lineOf(starts, Math.max(0, at)) });
    }
  }
  return hits.sort((a, b) => a.line - b.line);
}
