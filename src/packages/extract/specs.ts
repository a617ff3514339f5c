/**
 * Requirement specifiers → package names: PyPI (`pkg[extra]>=1`, `name@^1` as poetry and uv
 * write it), npm (`@s/p@^3`, `alias@npm:real@1`) and conda (`conda-forge::numpy=1.21`).
 * URLs, archives, paths, git refs and anything the registry would refuse give undefined.
 */
import { isValidNpmName } from "../names.js";

const URLISH = /^(?:[a-z][a-z0-9+.-]*:\/\/|git\+|git@|github:|gitlab:|bitbucket:|file:|link:|workspace:|portal:|npm:|jsr:|https?:)/i;
const ARCHIVE = /\.(?:whl|tar\.gz|tgz|zip|tar\.bz2|egg)$/i;
const PY_SPEC = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?:(?:===|==|>=|<=|~=|!=|<|>)\s*[^\s;]*)?(?:\s*,\s*(?:===|==|>=|<=|~=|!=|<|>)\s*[^\s;,]*)*\s*(?:;.*)?$/;

/** A PyPI requirement token → distribution name, or undefined for URLs, paths and placeholders. */
export function pypiNameOfSpec(spec: string): string | undefined {
  const s = spec.trim();
  if (!s || URLISH.test(s) || ARCHIVE.test(s) || /^[./~\\]/.test(s) || s.includes("/") || s.includes("\\")) return undefined;
  const at = /^([^@\s]+)\s*@\s*(.*)$/.exec(s);
  if (at) {
    // poetry/uv write `name@^1.2`; PEP 508 `name @ url` installs from the URL instead.
    return /^(?:[\^~<>=!]|\d|latest$)/.test(at[2]!) ? PY_SPEC.exec(at[1]!)?.[1] : undefined;
  }
  return PY_SPEC.exec(s)?.[1];
}

/** An npm install spec → package name (`@s/p@^3` → `@s/p`, `alias@npm:real@1` → `real`), or undefined. */
export function npmNameOfSpec(spec: string): string | undefined {
  const s = spec.trim();
  const alias = /^(?:@[^@/\s]+\/)?[^@/\s]+@npm:((?:@[^@/\s]+\/)?[^@/\s]+)/.exec(s);
  if (alias) return isValidNpmName(alias[1]!) ? alias[1] : undefined;
  if (!s || URLISH.test(s) || ARCHIVE.test(s) || /^[./~\\]/.test(s)) return undefined;
  const m = /^(@[^@/\s]+\/[^@/\s]+|[^@/\s]+)(?:@[^\s]*)?$/.exec(s);
  // Anything npm would refuse (`!zod`, `=3.0.*`) is a parsing artefact, not a package.
  return m?.[1] && isValidNpmName(m[1]) ? m[1] : undefined;
}

/** Conda's interpreter and installer are tools, not dependencies (like `pip install -U pip`). */
const CONDA_TOOLS = new Set(["python", "pip"]);

/** A conda match spec (`numpy=1.21=py39_0`, `conda-forge::scipy>=1`, `numpy[version='>=1']`) → name. */
export function condaNameOfSpec(spec: string): string | undefined {
  const s = spec.trim();
  if (!s || URLISH.test(s) || ARCHIVE.test(s) || /^[./~\\]/.test(s) || s.includes("/")) return undefined;
  const m = /^(?:[A-Za-z0-9_.-]+::)?([A-Za-z0-9_][A-Za-z0-9_.-]*)(?:\[[^\]]*\])?(?:\s*[=<>!~].*)?$/.exec(s);
  const name = m?.[1];
  return name && !CONDA_TOOLS.has(name.toLowerCase()) ? name : undefined;
}
