/**
 * Python dependency manifests an answer may show instead of a requirements file:
 * `setup.py` (`install_requires=[…]`) and `pyproject.toml` (PEP 621 `dependencies = […]`,
 * `[project.optional-dependencies]`, `[tool.poetry.*dependencies]` tables).
 */
import { pypiNameOfSpec } from "./install.js";

export interface ManifestHit {
  name: string;
  line: number;
}

const QUOTED = /"([^"\n]*)"|'([^'\n]*)'/g;

/**
 * Quoted requirement strings inside `key = [ … ]` lists for which `wanted(table, key)` holds;
 * `table` is the current `[header]` ("" before any).
 */
function listEntries(lines: string[], firstLine: number, wanted: (table: string, key: string) => boolean): ManifestHit[] {
  const hits: ManifestHit[] = [];
  let open = false;
  let table = "";
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "");
    let body = line;
    if (!open) {
      const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
      if (header) table = header[1]!.trim();
      const m = /([\w-]+)\s*=\s*\[/.exec(line);
      if (!m || !wanted(table, m[1]!)) return;
      open = true;
      body = line.slice(m.index + m[0].length);
    }
    // The list ends at the first `]` outside a string (`"uvicorn[standard]"` has one inside).
    const close = body.replace(QUOTED, (q) => " ".repeat(q.length)).indexOf("]");
    for (const q of (close === -1 ? body : body.slice(0, close)).matchAll(QUOTED)) {
      const name = pypiNameOfSpec(q[1] ?? q[2] ?? "");
      if (name) hits.push({ name, line: firstLine + i });
    }
    if (close !== -1) open = false;
  });
  return hits;
}

/** `[tool.poetry.dependencies]`-style tables: `name = "^1.2"` or `name = {version = …}`; `python` is not a package. */
function poetryTables(lines: string[], firstLine: number): ManifestHit[] {
  const hits: ManifestHit[] = [];
  let inTable = false;
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      inTable = /^tool\.poetry\.(?:group\.[\w-]+\.)?(?:dev-)?dependencies$/.test(header[1]!);
      return;
    }
    const entry = inTable ? /^"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=/.exec(line) : null;
    if (entry && entry[1]!.toLowerCase() !== "python") hits.push({ name: entry[1]!, line: firstLine + i });
  });
  return hits;
}

export function findSetupPy(lines: string[], firstLine: number): ManifestHit[] {
  return listEntries(lines, firstLine, (_, key) => /^(?:install_requires|setup_requires|tests_require)$/.test(key));
}

export function findPyproject(lines: string[], firstLine: number): ManifestHit[] {
  return [
    ...listEntries(lines, firstLine, (table, key) =>
      (table === "project" && key === "dependencies") ||
      (table === "build-system" && key === "requires") ||
      table === "project.optional-dependencies" ||
      table === "dependency-groups" ||
      (table === "tool.uv" && key === "dev-dependencies")),
    ...poetryTables(lines, firstLine),
  ].filter((h, k, all) => all.findIndex((o) => o.name === h.name) === k);
}

export function looksLikePyproject(lines: string[]): boolean {
  return lines.some((l) => /^\s*\[(?:project|tool\.poetry|build-system|dependency-groups)[\].]/.test(l));
}
