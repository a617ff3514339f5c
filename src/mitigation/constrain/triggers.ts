/**
 * Where a name is about to start, read from the current line of committed text: the end of
 * an install command (every package manager of the extractor, src/packages/extract/managers.ts:
 * pip, uv, poetry, pipenv, pdm, rye, pipx, conda/mamba/micromamba, npm (install, exec, create),
 * yarn, pnpm, bun, npx/pnpx/bunx, expo, deno; not `uv run --with`), of a
 * Python `import`/`from`, or of a JS `require(` / `import(` / `… from`. Each pattern is
 * anchored at the end of the line so far; the automaton then reads what follows.
 */
import type { Ecosystem } from "../../packages/types.js";
import type { DecodeOptions } from "./config.js";
import { micro, type Kind, type Micro } from "./micro.js";
import type { NameLists } from "./names.js";

type Tool = { re: RegExp; eco: Ecosystem | "conda"; kind: Kind };

// What may precede a command on a line: a shell separator, a prompt, `!`/`%` (notebooks), sudo, env assignments.
const HEAD = String.raw`(?:^|[\s;&|(\`!%$>])(?:sudo\s+(?:-\S+\s+)*)?(?:[A-Za-z_]\w*=\S*\s+)*`;
const tool = (body: string, eco: Tool["eco"], kind: Kind): Tool => ({ re: new RegExp(`${HEAD}${body}\\s*$`, "i"), eco, kind });

const TOOLS: Tool[] = [
  tool(String.raw`pip[\d.]*\s+install`, "pypi", "multi"),
  tool(String.raw`(?:python[\d.]*|py)\s+-m\s+pip\s+install`, "pypi", "multi"),
  tool(String.raw`uv\s+pip\s+install`, "pypi", "multi"),
  tool(String.raw`(?:uv|poetry|pdm|rye)\s+add`, "pypi", "multi"),
  tool(String.raw`(?:pipenv|pipx)\s+install`, "pypi", "multi"),
  tool(String.raw`uv\s+tool\s+install`, "pypi", "single"),
  tool(String.raw`(?:uvx|pipx\s+run|uv\s+tool\s+run)`, "pypi", "single"),
  tool(String.raw`(?:conda|mamba|micromamba)\s+(?:install|create)`, "conda", "multi"),
  tool(String.raw`npm\s+(?:i|install|add|in|isntall)`, "npm", "multi"),
  tool(String.raw`(?:yarn(?:\s+global)?|pnpm|bun)\s+add`, "npm", "multi"),
  tool(String.raw`(?:pnpm|bun)\s+(?:i|install)`, "npm", "multi"),
  tool(String.raw`expo\s+install`, "npm", "multi"),
  tool(String.raw`(?:npx|pnpx|bunx|pnpm\s+dlx|yarn\s+dlx|bun\s+x|npm\s+(?:exec|x))`, "npm", "single"),
  tool(String.raw`(?:(?:npm|yarn|pnpm|bun)\s+create|npm\s+init)`, "npm", "create"),
  tool(String.raw`deno\s+(?:add|install|i|run)`, "npm", "deno"),
];

/** Every tool above ends with one of these letters; other lines skip the regexes. */
const TOOL_END = /[ldnxteic]\s*$/i;

export interface TriggerContext {
  lists: NameLists;
  options: Pick<DecodeOptions, "contexts" | "conda">;
  /** The prompt's ecosystem: decides `import x` (Python) in code of unknown language. */
  ecosystem: Ecosystem | undefined;
  /** Modules the answer defines so far (`utils.py`), open for imports. */
  locals(): string[];
}

/** The kind of text a line belongs to; decides which constructs are read. */
export type LineKind = "prose" | "shell" | "python" | "javascript" | "code";

export function installTrigger(line: string, ctx: TriggerContext, esc: readonly number[]): Micro | undefined {
  if (!ctx.options.contexts.install || !TOOL_END.test(line)) return undefined;
  for (const t of TOOLS) {
    if (!t.re.test(line)) continue;
    const phase = /\s$/.test(line) ? "arm" : "arm0";
    if (t.kind === "create") return micro({ mode: "install", kind: "create", phase, set: ctx.lists.create, cc: "npm", esc });
    if (t.eco === "npm") return micro({ mode: "install", kind: t.kind, phase, set: ctx.lists.install.npm, cc: "npm", esc });
    const set = t.eco === "conda" ? ctx.lists.install.conda : ctx.lists.install.pypi;
    return set ? micro({ mode: "install", kind: t.kind, phase, set, cc: "pypi", esc }) : undefined;
  }
  return undefined;
}

const PY_IMPORT = /^[+]?\s*import\s*$/;
const PY_FROM = /^[+]?\s*from\s*$/;
const PY_DYNAMIC = /(?:\bimport_module|\b__import__)\s*\(\s*$/;
const JS_REQUIRE = /(?:\brequire|(?:^|[^\w$.])import)\s*\(\s*$/;
const JS_FROM = /^[+]?\s*(?:(?:import|export)\b[^'"`]*?\s|\}\s*)from\s*$/;
const JS_IMPORT = /^[+]?\s*import\s*$/;

export function importTrigger(line: string, kind: LineKind, ctx: TriggerContext, esc: readonly number[]): Micro | undefined {
  if (!ctx.options.contexts.import || kind === "shell") return undefined;
  const last = line.charCodeAt(line.length - 1);
  // Every pattern ends with `import`, `from`, `(` or white space.
  if (!(last === 116 || last === 109 || last === 40 || last === 32 || last === 9)) return undefined;
  const python = kind === "python" || ((kind === "code" || kind === "prose") && ctx.ecosystem !== "npm");
  const js = kind === "javascript" || ((kind === "code" || kind === "prose") && ctx.ecosystem !== "pypi");
  const phase = "arm0";
  if (python) {
    const set = () => ctx.lists.pyImport(ctx.locals());
    if (PY_IMPORT.test(line)) return micro({ mode: "pyimport", kind: "import", phase, set: set(), cc: "ident", esc });
    if (PY_FROM.test(line)) return micro({ mode: "pyimport", kind: "from", phase, set: set(), cc: "ident", esc });
    if (PY_DYNAMIC.test(line)) return micro({ mode: "pyimport", kind: "dyn", phase, set: set(), cc: "ident", esc });
  }
  if (js && (JS_REQUIRE.test(line) || JS_FROM.test(line) || (kind === "javascript" && JS_IMPORT.test(line)))) {
    return micro({ mode: "jsspec", phase, set: ctx.lists.jsImport, cc: "npm", esc });
  }
  return undefined;
}
