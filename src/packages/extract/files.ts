/**
 * What a file an agent writes or edits would install: dependency manifests (requirements,
 * constraints, pyproject.toml, setup.py, setup.cfg, Pipfile, environment.yml, package.json),
 * imports in Python / JavaScript / TypeScript code, install commands in scripts, Dockerfiles,
 * CI files and docs. An edit reports only what it adds: names in its new text that are not
 * in its old text.
 */
import type { PackageEcosystem } from "../types.js";
import { packageKey } from "../names.js";
import type { ExtractContext, Raw } from "./index.js";
import { findInstalls } from "./install.js";
import { findJsImports, findPackageJsonDeps } from "./javascript.js";
import { findEnvironmentYml, findPipfile, findPyprojectFragment, findSetupCfg, findSetupPy } from "./manifests.js";
import { distributionOf, findPythonImports, findRequirements } from "./python.js";

/** Lines of a file's text with the line each has in the scanned argument string. */
export interface Fragment {
  lines: string[];
  lineNos: number[];
}

export type FileKind =
  | "requirements" | "pyproject" | "setup.py" | "setup.cfg" | "pipfile" | "environment" | "package_json"
  | "python" | "notebook" | "javascript" | "shell" | "commands" | "markdown" | "none";

const CODE_JS = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/i;

/** The kind of a file by its path (the name decides; the folder only for `requirements/*.txt`). */
export function fileKind(path: string): FileKind {
  const p = path.trim().replace(/\\/g, "/");
  const base = (p.split("/").pop() ?? "").toLowerCase();
  if (/^(?:requirements|constraints)[\w.-]*\.(?:txt|in)$/.test(base) || (/(?:^|\/)requirements\/[^/]+\.(?:txt|in)$/i.test(p))) return "requirements";
  if (base === "pyproject.toml") return "pyproject";
  if (base === "setup.py") return "setup.py";
  if (base === "setup.cfg") return "setup.cfg";
  if (base === "pipfile") return "pipfile";
  if (/^(?:environment|conda|env)[\w.-]*\.ya?ml$/.test(base)) return "environment";
  if (base === "package.json") return "package_json";
  if (/\.pyi?$/.test(base)) return "python";
  if (base.endsWith(".ipynb")) return "notebook";
  if (CODE_JS.test(base)) return "javascript";
  if (/\.(?:sh|bash|zsh|ksh)$/.test(base) || base === ".bashrc" || base === ".zshrc") return "shell";
  if (/^(?:dockerfile|containerfile)(?:\..+)?$|\.dockerfile$|^makefile$|^justfile$|^procfile$|\.(?:ya?ml|mk|ps1|bat|cmd)$/.test(base)) return "commands";
  if (/\.(?:md|mdx|markdown|rst|txt)$/.test(base)) return "markdown";
  return "none";
}

export interface FileScanDeps {
  ctx: ExtractContext;
  /** Install commands in a shell script the agent writes (lexed as shell, one level deeper). */
  shell: (frag: Fragment) => Raw[];
  /** Markdown or prose (README, docs). */
  text: (frag: Fragment) => Raw[];
}

type Source = Raw["source"];

function mapped(hits: { name: string; line: number }[], frag: Fragment, ecosystem: PackageEcosystem, source: Source): Raw[] {
  return hits.map((h) => ({ name: h.name, ecosystem, source, line: frag.lineNos[h.line] ?? frag.lineNos[0] ?? 1 }));
}

/** Every package named by a file's text (`fragment`: the text is part of a file, as an edit shows it). */
export function namesInFile(kind: FileKind, frag: Fragment, deps: FileScanDeps, fragment: boolean): Raw[] {
  const { lines } = frag;
  switch (kind) {
    case "requirements":
      return mapped(findRequirements(lines, 0), frag, "pypi", "requirements");
    case "pyproject":
      return mapped(findPyprojectFragment(lines, 0, fragment), frag, "pypi", "requirements");
    case "setup.py":
      return [...mapped(findSetupPy(lines, 0), frag, "pypi", "requirements"), ...pythonImports(frag, deps.ctx)];
    case "setup.cfg":
      return mapped(findSetupCfg(lines, 0, fragment), frag, "pypi", "requirements");
    case "pipfile":
      return mapped(findPipfile(lines, 0, fragment), frag, "pypi", "requirements");
    case "environment":
      return findEnvironmentYml(lines, 0, fragment).map((h) => ({ name: h.name, ecosystem: h.ecosystem, source: "requirements", line: frag.lineNos[h.line] ?? 1 }));
    case "package_json":
      return mapped(findPackageJsonDeps(lines, 0, fragment), frag, "npm", "package_json");
    case "python":
      return pythonImports(frag, deps.ctx);
    case "notebook":
      // Notebook cells run `%pip install` / `!pip install` lines, and import.
      return [...installs(frag), ...pythonImports(frag, deps.ctx)];
    case "javascript":
      return findJsImports(lines, 0, deps.ctx.nodeBuiltins).map((h) => ({ name: h.name, ecosystem: "npm", source: "import", line: frag.lineNos[h.line] ?? 1, module: h.specifier }));
    case "shell":
      return deps.shell(frag);
    case "commands":
      return installs(frag);
    case "markdown":
      return deps.text(frag);
    case "none":
      return [];
  }
}

/** Install commands on the lines of a Dockerfile, Makefile, CI file or notebook cell. */
function installs(frag: Fragment): Raw[] {
  return findInstalls(frag.lines, 0, false).map((h) => ({ name: h.name, ecosystem: h.ecosystem, source: "install", line: frag.lineNos[h.line] ?? 1 }));
}

/** Imports → distributions; local modules are filtered later, once every written path is known. */
function pythonImports(frag: Fragment, ctx: ExtractContext): Raw[] {
  const out: Raw[] = [];
  for (const hit of findPythonImports(frag.lines, 0)) {
    const dist = distributionOf(hit, ctx);
    if (dist) out.push({ name: dist, ecosystem: "pypi", source: "import", line: frag.lineNos[hit.line] ?? 1, module: hit.module });
  }
  return out;
}

/** What an edit adds: names of the new text that the old text does not name. */
export function addedNames(kind: FileKind, sides: { added: Fragment; removed?: Fragment }[], deps: FileScanDeps, fragment: boolean): Raw[] {
  const before = new Set<string>();
  for (const s of sides) {
    if (!s.removed) continue;
    for (const r of namesInFile(kind, s.removed, deps, fragment)) before.add(`${r.ecosystem}:${packageKey(r.ecosystem, r.name)}`);
  }
  const out: Raw[] = [];
  for (const s of sides) {
    for (const r of namesInFile(kind, s.added, deps, fragment)) if (!before.has(`${r.ecosystem}:${packageKey(r.ecosystem, r.name)}`)) out.push(r);
  }
  return out;
}

/** A string's lines, numbered from `firstLine`. */
export function fragmentOf(text: string, firstLine = 1): Fragment {
  const lines = text.split(/\r?\n/);
  return { lines, lineNos: lines.map((_, i) => firstLine + i) };
}

/** Python module names a set of written file paths defines (`app/utils.py` → `app`, `utils`). */
export function modulesOfPaths(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const parts = p.replace(/\\/g, "/").split("/").filter((x) => x && x !== "." && x !== "..");
    const file = parts.pop() ?? "";
    const mod = /^([A-Za-z_]\w*)\.(?:py|pyi|pyx|so)$/.exec(file)?.[1];
    if (!mod) continue;
    if (mod !== "__init__") out.add(mod);
    for (const dir of parts) if (/^[A-Za-z_]\w*$/.test(dir)) out.add(dir);
  }
  return out;
}
