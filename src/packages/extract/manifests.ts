/**
 * Python dependency manifests an answer may show instead of a requirements file:
 * `setup.py` (`install_requires=[…]`) and `pyproject.toml` (PEP 621 `dependencies = […]`,
 * `[project.optional-dependencies]`, `[tool.poetry.*dependencies]` tables).
 */
import { condaNameOfSpec, pypiNameOfSpec } from "./specs.js";

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

/** Files an edit shows only part of: not a list or table header among the lines it has. */
const FILE_NAME = /\.(?:md|txt|rst|py|toml|cfg|json|ya?ml|ini|lock|in|sh)$/i;

/**
 * The lines of a pyproject.toml fragment that come before its first table header or list
 * opener (`dependencies = [` cut off by an edit): quoted requirement strings alone on their
 * line (`"httpx>=0.27",`) and poetry entries (`httpx = "^0.27"`, `x = { version = … }`).
 */
function pyprojectHead(lines: string[], firstLine: number): ManifestHit[] {
  const hits: ManifestHit[] = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (/^\[/.test(line) || /^[\w.-]+\s*=\s*\[/.test(line)) break;
    const quoted = /^["']([^"']+)["']\s*,?$/.exec(line);
    const poetry = /^"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=\s*(?:\{|["'](?:[\^~<>=!*]|\d))/.exec(line);
    const name = quoted && !FILE_NAME.test(quoted[1]!) ? pypiNameOfSpec(quoted[1]!) : poetry && !NOT_DEPS.has(poetry[1]!.toLowerCase()) ? poetry[1] : undefined;
    if (name) hits.push({ name, line: firstLine + i });
  }
  return hits;
}

const NOT_DEPS = new Set(["python", "version", "requires-python", "name", "python_version", "python_full_version"]);

/** pyproject.toml, or (`fragment`) a part of one that an edit or patch shows. */
export function findPyprojectFragment(lines: string[], firstLine: number, fragment: boolean): ManifestHit[] {
  if (!fragment) return findPyproject(lines, firstLine);
  // Before any table header the edit cut off, a dependency-list key stands for its table.
  const headless = listEntries(lines, firstLine, (table, key) => table === "" && /^(?:dependencies|requires|dev-dependencies)$/.test(key));
  const all = [...pyprojectHead(lines, firstLine), ...headless, ...findPyproject(lines, firstLine)];
  return all.filter((h, k) => all.findIndex((o) => o.name === h.name && o.line === h.line) === k);
}

/** setup.cfg: `install_requires` / `setup_requires` / `tests_require` in [options], every key of [options.extras_require]. */
export function findSetupCfg(lines: string[], firstLine: number, fragment: boolean): ManifestHit[] {
  const hits: ManifestHit[] = [];
  let section = "";
  // Before any header, a fragment's indented lines may continue a dependency key the edit cut off.
  let collecting = fragment;
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/(^|\s)[#;].*$/, "");
    if (!line.trim()) continue;
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      collecting = false;
      continue;
    }
    const key = /^([A-Za-z_][\w.-]*)\s*[=:]\s*(.*)$/.exec(line);
    let value = line.trim();
    if (key) {
      // A fragment with no header is taken to be in [options] (edits show the key, not the section).
      const inOptions = section === "options" || (fragment && section === "");
      collecting = (inOptions && /^(?:install_requires|setup_requires|tests_require)$/.test(key[1]!)) || section === "options.extras_require";
      value = key[2]!.trim();
    } else if (!/^\s/.test(line)) collecting = false;
    const name = collecting && value ? pypiNameOfSpec(value) : undefined;
    if (name) hits.push({ name, line: firstLine + i });
  }
  return hits;
}

/** Pipfile: `[packages]` and `[dev-packages]` (`name = "*"`, `name = {version = …}`); not `[requires]`. */
export function findPipfile(lines: string[], firstLine: number, fragment: boolean): ManifestHit[] {
  const hits: ManifestHit[] = [];
  let inTable = fragment;
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    const header = /^\[+([^\]]+)\]+$/.exec(line);
    if (header) {
      inTable = /^(?:dev-)?packages$/.test(header[1]!.trim());
      continue;
    }
    const entry = inTable ? /^"?([A-Za-z0-9][A-Za-z0-9._-]*)"?\s*=\s*(?:\{|["'])/.exec(line) : null;
    if (entry && !NOT_DEPS.has(entry[1]!.toLowerCase())) hits.push({ name: entry[1]!, line: firstLine + i });
  }
  return hits;
}

export interface EnvironmentHit extends ManifestHit {
  ecosystem: "conda" | "pypi";
}

/**
 * environment.yml: items of `dependencies:` are conda packages, items under its `- pip:`
 * entry are PyPI requirements; `channels:` and other keys are not packages.
 */
export function findEnvironmentYml(lines: string[], firstLine: number, fragment: boolean): EnvironmentHit[] {
  const hits: EnvironmentHit[] = [];
  let inDeps = fragment;
  let pipIndent = -1;
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/(^|\s)#.*$/, "");
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const key = /^([\w-]+)\s*:/.exec(line);
    if (key) {
      inDeps = key[1] === "dependencies";
      pipIndent = -1;
      continue;
    }
    const item = /^(\s*)-\s+(.*)$/.exec(line);
    if (!inDeps || !item) continue;
    if (pipIndent !== -1 && item[1]!.length <= pipIndent) pipIndent = -1;
    const value = item[2]!.trim().replace(/^["']|["']$/g, "");
    if (/^pip\s*:$/.test(value)) {
      pipIndent = indent;
      continue;
    }
    const name = pipIndent !== -1 ? (value.startsWith("-") ? undefined : pypiNameOfSpec(value)) : condaNameOfSpec(value);
    if (name) hits.push({ name, line: firstLine + i, ecosystem: pipIndent !== -1 ? "pypi" : "conda" });
  }
  return hits;
}
