/**
 * JavaScript/TypeScript module specifiers (require, import, dynamic import,
 * export-from) and package.json dependency blocks → npm package names.
 */
import { npmNameOfSpec } from "./install.js";
import { isValidNpmName, npmPackageOfSpecifier } from "../names.js";

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
      hits.push({ name, specifier: spec, line: firstLine + lineIndex(starts, m.index! + m[0].indexOf(spec)) });
    }
  }
  return hits.sort((a, b) => a.line - b.line);
}

function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) s.push(i + 1);
  return s;
}

function lineIndex(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const DEP_SECTIONS = new Set(["dependencies", "devDependencies", "peerDependencies", "optionalDependencies", "bundledDependencies"]);

/** Dependencies of a package.json block; tolerant of comments and trailing commas LLMs write. */
export function findPackageJsonDeps(lines: string[], firstLine: number): JsHit[] {
  const hits: JsHit[] = [];
  let section: string | undefined;
  let depth = 0;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, "");
    const open = /"([A-Za-z]+)"\s*:\s*\{/.exec(line);
    if (open && depth === 1 && DEP_SECTIONS.has(open[1]!)) section = open[1];
    const entry = section && depth === 2 ? /^\s*"([^"]+)"\s*:\s*"([^"]*)"/.exec(line) : null;
    if (entry) {
      const [, key, value] = entry as unknown as [string, string, string];
      const aliased = value.startsWith("npm:") ? npmNameOfSpec(`${key}@${value}`) : undefined;
      const local = /^(?:file:|link:|workspace:|portal:|git|https?:|github:|\.|\/)/.test(value) || /^[^@\s]+\/[^@\s]+$/.test(value);
      const name = aliased ?? (local ? undefined : key);
      if (name && isValidNpmName(name)) hits.push({ name, specifier: key, line: firstLine + i });
    }
    for (const ch of line.replace(/"(?:[^"\\]|\\.)*"/g, "")) {
      if (ch === "{") depth++;
      else if (ch === "}") {
        depth--;
        if (depth < 2) section = undefined;
      }
    }
  });
  return hits;
}
