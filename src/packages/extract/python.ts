/**
 * Python imports and requirements.txt lines → PyPI distributions. Modules map to
 * distributions through data/mappings (pipreqs, then upm), else by PEP 503 identity.
 */
import { pypiNameOfSpec } from "./install.js";

export interface ImportHit {
  /** Top-level module (`cv2`). */
  module: string;
  /** Dotted path as imported (`google.cloud.storage`), for namespace packages. */
  path: string;
  line: number;
}

const IMPORT = /^\s*import\s+(.+)$/;
const FROM = /^\s*from\s+(\.*)([A-Za-z_][\w.]*)?\s+import\b/;
const DYNAMIC = /\b(?:importlib\.import_module|__import__)\(\s*(?:r|u)?(["'])([A-Za-z_][\w.]*)\1/g;

/** Top-level module names imported by Python source, with lines; relative imports are skipped. */
export function findPythonImports(lines: string[], firstLine: number): ImportHit[] {
  const hits: ImportHit[] = [];
  let inString: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.replace(/^(?:>>>|\.\.\.) ?/, "");
    const quoteState = tripleQuotes(line, inString);
    const wasInString = inString;
    inString = quoteState;
    if (wasInString) continue;
    const code = line.replace(/#.*$/, "");
    const from = FROM.exec(code);
    if (from) {
      if (!from[1] && from[2]) {
        const names = code.slice(from[0].length).replace(/[()\\]/g, " ").split(",").map((n) => n.trim().split(/\s+/)[0] ?? "");
        const first = /^[A-Za-z_]\w*$/.test(names[0] ?? "") ? `.${names[0]}` : "";
        hits.push({ module: from[2].split(".")[0]!, path: from[2] + first, line: firstLine + i });
      }
    } else {
      const imp = IMPORT.exec(code);
      if (imp) {
        let list = imp[1]!;
        // `import (a, b)` is not valid Python, but a continuation `import a, \` is.
        while (/\\\s*$/.test(list) && i + 1 < lines.length) list = list.replace(/\\\s*$/, "") + lines[++i]!;
        for (const part of list.split(",")) {
          const m = /^\s*(([A-Za-z_]\w*)(?:\.[\w.]*)?)(?:\s+as\s+\w+)?\s*;?\s*$/.exec(part);
          if (m) hits.push({ module: m[2]!, path: m[1]!, line: firstLine + i });
        }
      }
    }
    for (const m of code.matchAll(DYNAMIC)) hits.push({ module: m[2]!.split(".")[0]!, path: m[2]!, line: firstLine + i });
  }
  return hits;
}

/** Tracks whether a line leaves us inside a triple-quoted string. */
function tripleQuotes(line: string, open: string | undefined): string | undefined {
  let state = open;
  for (const m of line.matchAll(/"""|'''/g)) {
    if (!state) state = m[0];
    else if (state === m[0]) state = undefined;
  }
  return state;
}

/** Modules the answer itself defines: files it names (`utils.py`) and `# file: models.py` headers. */
export function localModules(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s`'"(/\\*])([A-Za-z_]\w*)\.py\b/g)) out.add(m[1]!);
  for (const m of text.matchAll(/(?:^|[\s`'"(/\\*])([A-Za-z_]\w*)\/__init__\.py\b/g)) out.add(m[1]!);
  return out;
}

export interface RequirementHit {
  name: string;
  line: number;
}

/** requirements.txt lines: options, URLs, paths and `name @ url` are skipped. */
export function findRequirements(lines: string[], firstLine: number): RequirementHit[] {
  const hits: RequirementHit[] = [];
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line || line.startsWith("-")) return;
    const name = pypiNameOfSpec(line);
    if (name) hits.push({ name, line: firstLine + i });
  });
  return hits;
}

/** True when every non-empty, non-comment line reads as a requirement and one pins a version. */
export function looksLikeRequirements(lines: string[]): boolean {
  const body = lines.map((l) => l.replace(/(^|\s)#.*$/, "").trim()).filter(Boolean);
  if (!body.length) return false;
  return body.every((l) => l.startsWith("-") || pypiNameOfSpec(l) !== undefined) && body.some((l) => /(===|==|>=|<=|~=|!=)/.test(l));
}

const MAX_PARTS = 8;

/** Namespace packages whose distributions are named after the dotted path (`google.cloud.storage`). */
const NAMESPACES = new Set(["google", "azure", "zope", "jaraco", "backports", "ruamel", "sphinxcontrib", "oslo", "flufl", "opentelemetry"]);

export interface ModuleMaps {
  moduleToDist: Map<string, string>;
  pythonStdlib: Set<string>;
  /** Whether a normalised name is on PyPI (for namespace paths only). */
  onPypi: (normalized: string) => boolean;
}

/** Distribution an import needs, or undefined for stdlib; mapping first, then identity. */
export function distributionOf(hit: ImportHit, maps: ModuleMaps): string | undefined {
  if (maps.pythonStdlib.has(hit.module) || hit.module === "__main__") return undefined;
  // Mapped prefixes are a few parts deep (`google.cloud.storage`); a longer path is cut so
  // that `import a.a.a…` (100k parts) costs linear time, not a join per prefix.
  const parts = hit.path.split(".", MAX_PARTS);
  for (let n = parts.length; n >= 2; n--) {
    const prefix = parts.slice(0, n).join(".");
    const mapped = maps.moduleToDist.get(prefix);
    if (mapped) return mapped;
    if (NAMESPACES.has(hit.module)) {
      const dashed = prefix.replace(/_v\d+\w*$/, "").replace(/[._]+/g, "-").toLowerCase();
      if (maps.onPypi(dashed)) return dashed;
    }
  }
  return maps.moduleToDist.get(hit.module) ?? hit.module;
}
