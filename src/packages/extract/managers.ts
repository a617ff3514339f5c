/**
 * Package-manager command lines → the packages they install or run. Shared by the text
 * scanner (install commands in answers) and the shell parser (agents' tool calls): both
 * hand over a command's words, already split.
 */
import type { PackageEcosystem } from "../types.js";
import { condaNameOfSpec, npmNameOfSpec, pypiNameOfSpec } from "./specs.js";

/** Flags whose next token is a value, not a package (constrained decoding reads them too). */
export const VALUE_FLAGS = new Set([
  "-r", "--requirement", "-e", "--editable", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
  "-c", "--constraint", "-t", "--target", "--prefix", "--root", "--trusted-host", "--platform", "--python-version",
  "--implementation", "--abi", "--src", "--upgrade-strategy", "--progress-bar", "--log", "--proxy", "--retries",
  "--timeout", "--exists-action", "--cert", "--client-cert", "--cache-dir", "--python", "-p", "--only-binary",
  "--no-binary", "--global-option", "--install-option", "--config-settings", "-C", "--report", "--group", "-G",
  "--optional", "--extra", "-E", "--extras", "--index", "--default-index", "--package", "--source", "--channel",
  "-n", "--name", "--registry", "-w", "--workspace", "--tag", "--omit", "--include", "--install-strategy",
  "--cache", "--filter", "--dir", "--cwd", "--modules-folder", "--userconfig", "--rev", "--branch",
  "--path", "--git", "--url", "--override-channels", "--upgrade-package", "-P", "--file", "--with-requirements",
  "--with-editable", "--env-file", "--directory", "--project", "--pip-args", "--suffix", "--call",
]);

/** Words that end a command written inside prose or a comment ("pip install x if needed"); constrained decoding reads them too. */
export const STOP_WORDS = new Set([
  "if", "to", "and", "or", "then", "first", "before", "after", "the", "in", "for", "with", "using", "on", "as",
  "from", "via", "by", "is", "are", "it", "this", "that", "you", "your", "will", "which", "command", "package",
  "packages", "library", "libraries", "module", "modules", "e.g.", "i.e.", "etc", "#", "//", "<", ">", "|",
  "may", "might", "can", "could", "should", "would", "must", "does", "do", "doesn't", "won't", "was", "were",
  "has", "have", "again", "now", "globally", "locally", "inside", "into", "without", "only", "also", "just",
  "not", "so", "but", "when", "while", "where", "because", "instead", "like", "fails", "works", "here", "there",
]);

/**
 * many: every argument is a package; one: the first argument is the package to run (npx, uvx),
 * unless a package flag named it; create: `npm create x` runs `create-x`; flags: only package
 * flags name packages (`uv run --with x script.py`).
 */
type Mode = "many" | "one" | "create" | "flags";

export interface Tool {
  ecosystem: PackageEcosystem;
  /** The command's argument words (a suffix of the words handed in). */
  args: string[];
  mode: Mode;
  /** Flags whose value is a package (`npx -p x`, `uvx --from x`, `pipx run --spec x`). */
  packageFlags?: Set<string>;
  /** deno: only `npm:` specifiers are npm packages (bare names and `jsr:` are not). */
  npmPrefix?: boolean;
}

const PREFIXES = new Set(["sudo", "$", ">", "!", "%", "run", "RUN", "exec"]);
const NPX_FLAGS = new Set(["-p", "--package"]);
const UVX_FLAGS = new Set(["--from", "--with"]);
const WITH = new Set(["--with"]);

/** [test on the command and its first two subcommand words, how many subcommand words the rule reads, what it is] */
type Rule = [test: (a: string, b: string, c: string) => boolean, words: number, tool: Omit<Tool, "args">];

const isPip = (x: string): boolean => /^pip[\d.]*$/.test(x);
const RULES: Rule[] = [
  [(a, b) => isPip(a) && b === "install", 1, { ecosystem: "pypi", mode: "many" }],
  [(a, b, c) => a === "uv" && b === "pip" && c === "install", 2, { ecosystem: "pypi", mode: "many" }],
  [(a, b, c) => a === "uv" && b === "tool" && c === "install", 2, { ecosystem: "pypi", mode: "many", packageFlags: WITH }],
  [(a, b, c) => a === "uv" && b === "tool" && c === "run", 2, { ecosystem: "pypi", mode: "one", packageFlags: UVX_FLAGS }],
  [(a, b) => a === "uv" && b === "run", 1, { ecosystem: "pypi", mode: "flags", packageFlags: WITH }],
  [(a) => a === "uvx", 0, { ecosystem: "pypi", mode: "one", packageFlags: UVX_FLAGS }],
  [(a, b) => ["uv", "poetry", "pdm", "rye"].includes(a) && b === "add", 1, { ecosystem: "pypi", mode: "many" }],
  [(a, b) => (a === "pipenv" || a === "pipx") && b === "install", 1, { ecosystem: "pypi", mode: "many" }],
  [(a, b) => a === "pipx" && b === "run", 1, { ecosystem: "pypi", mode: "one", packageFlags: new Set(["--spec"]) }],
  [(a, b) => ["conda", "mamba", "micromamba"].includes(a) && (b === "install" || b === "create"), 1, { ecosystem: "conda", mode: "many" }],
  [(a, b) => a === "npm" && ["i", "install", "add", "isntall", "in"].includes(b), 1, { ecosystem: "npm", mode: "many" }],
  [(a, b) => a === "npm" && (b === "create" || b === "init"), 1, { ecosystem: "npm", mode: "create" }],
  [(a, b) => a === "npm" && (b === "exec" || b === "x"), 1, { ecosystem: "npm", mode: "one", packageFlags: NPX_FLAGS }],
  [(a, b) => a === "yarn" && b === "add", 1, { ecosystem: "npm", mode: "many" }],
  [(a, b, c) => a === "yarn" && b === "global" && c === "add", 2, { ecosystem: "npm", mode: "many" }],
  [(a, b) => a === "yarn" && b === "dlx", 1, { ecosystem: "npm", mode: "one", packageFlags: NPX_FLAGS }],
  [(a, b) => ["pnpm", "bun"].includes(a) && ["add", "i", "install"].includes(b), 1, { ecosystem: "npm", mode: "many" }],
  [(a, b) => (a === "pnpm" && b === "dlx") || (a === "bun" && b === "x"), 1, { ecosystem: "npm", mode: "one", packageFlags: NPX_FLAGS }],
  [(a, b) => ["yarn", "pnpm", "bun"].includes(a) && b === "create", 1, { ecosystem: "npm", mode: "create" }],
  [(a) => a === "npx" || a === "pnpx" || a === "bunx", 0, { ecosystem: "npm", mode: "one", packageFlags: NPX_FLAGS }],
  [(a, b) => a === "expo" && b === "install", 1, { ecosystem: "npm", mode: "many" }],
  [(a, b) => a === "deno" && ["add", "install", "i"].includes(b), 1, { ecosystem: "npm", mode: "many", npmPrefix: true }],
  [(a, b) => a === "deno" && b === "run", 1, { ecosystem: "npm", mode: "one", npmPrefix: true }],
];

/** Options a package manager takes before its subcommand (`npm --prefix dir install`, `pnpm --filter web add`). */
const GLOBAL_VALUE_FLAGS = new Set(["--prefix", "-C", "--dir", "--filter", "-F", "--cwd", "--workspace", "-w", "--python", "-p", "--directory", "--project", "--log", "--cache-dir"]);
const MANAGERS = new Set(["npm", "pnpm", "yarn", "bun", "uv", "poetry", "pdm", "pipenv", "conda", "mamba", "micromamba"]);

/** Index of the subcommand word after the command at `i`, past global options (and `yarn workspace <name>`). */
function subcommandAt(all: string[], i: number, command: string): number {
  let j = i + 1;
  if (!MANAGERS.has(command) && !isPip(command)) return j;
  // Options are short runs; more than a few option words before the subcommand is not a command line.
  for (let n = 0; n < 8 && j < all.length && all[j]!.startsWith("-") && all[j] !== "-"; n++) {
    j += GLOBAL_VALUE_FLAGS.has(all[j]!) ? 2 : 1;
  }
  if (command === "yarn" && all[j] === "workspace") j += 2;
  return j;
}

/**
 * Recognises the package-manager command at `all[from]` and returns its argument words (a
 * suffix of `all`). It reads a dozen words at most, so callers that try every position of a
 * long line stay linear; they skip `sudo` and `VAR=x` by trying the next position.
 */
export function parseTool(all: string[], from = 0): Tool | undefined {
  const i = from;
  if (i >= all.length) return undefined;
  const strip = (x: string | undefined): string => (x ?? "").replace(/^[!%$]/, "");
  // A path to the binary (`/usr/bin/pip3`, `.venv/bin/pip`) is the same command.
  const a = strip(all[i]).toLowerCase().replace(/\.exe$/, "").replace(/^.*[/\\]/, "");
  if (/^(python[\d.]*|py)$/.test(a) && all[i + 1] === "-m") {
    const mod = strip(all[i + 2]);
    if (isPip(mod) && all[i + 3] === "install") return { ecosystem: "pypi", mode: "many", args: all.slice(i + 4) };
    return mod === "uv" ? parseTool(all, i + 2) : undefined;
  }
  const j = subcommandAt(all, i, a);
  const b = strip(all[j]);
  const c = strip(all[j + 1]);
  for (const [test, words, tool] of RULES) if (test(a, b, c)) return { ...tool, args: all.slice(words === 0 ? i + 1 : j + words) };
  return undefined;
}

/** Cleans a token written in prose or comments: trailing punctuation, markdown emphasis. */
function clean(token: string): { token: string; last: boolean } {
  return { token: token.replace(/[.,;:)*]+$/, "").replace(/^[(*]+/, ""), last: /[.,;:]$/.test(token) };
}

function nameOf(tool: Tool, token: string): string | undefined {
  if (tool.npmPrefix) return token.startsWith("npm:") ? npmNameOfSpec(token.slice(4)) : undefined;
  const name = tool.ecosystem === "npm" ? npmNameOfSpec(token) : tool.ecosystem === "conda" ? condaNameOfSpec(token) : pypiNameOfSpec(token);
  // `pip install -U pip` / `npm i -g npm` upgrade the installer itself, not a dependency.
  return name && name.toLowerCase() === (tool.ecosystem === "npm" ? "npm" : "pip") ? undefined : name;
}

/** `npm create vite` runs the package `create-vite` (`@scope` → `@scope/create`). */
function createPackage(name: string): string {
  if (name.startsWith("@")) {
    const [scope, rest] = name.split("/");
    return rest ? `${scope}/create-${rest}` : `${scope}/create`;
  }
  return `create-${name}`;
}

export interface NameHit {
  name: string;
  /** Index in `tool.args` of the word the name came from. */
  arg: number;
}

/**
 * Package names of one command, each with the index of its word in `tool.args`, and
 * `end`: the index where the command stopped (so prose may hold another command after it).
 */
export function namesOf(tool: Tool): { names: NameHit[]; end: number } {
  const names: NameHit[] = [];
  // A word repeated in one command names nothing new (`pip install x a a a …` must stay cheap).
  const seen = new Set<string>();
  let named = false;
  let i = 0;
  for (; i < tool.args.length; i++) {
    const raw = tool.args[i]!;
    if (STOP_WORDS.has(raw.toLowerCase()) || raw.startsWith("#") || /^[<[{]/.test(raw)) break;
    if (raw === "--") continue;
    if (raw.startsWith("-")) {
      const [flag = "", inline] = raw.split(/=(.*)/s);
      const isPackage = tool.packageFlags?.has(flag);
      // A cluster of short flags (`-dG group`, `-Ur file`) takes a value when its last flag does.
      const cluster = /^-[A-Za-z]{2,}$/.test(flag) && VALUE_FLAGS.has(`-${flag.at(-1)}`);
      const takesValue = isPackage || cluster || VALUE_FLAGS.has(flag);
      const at = inline === undefined && takesValue ? ++i : i;
      const value = inline ?? (takesValue ? tool.args[at] : undefined);
      if (isPackage && value !== undefined) {
        named = true;
        const n = nameOf(tool, value);
        if (n) names.push({ name: n, arg: at });
      }
      continue;
    }
    if (tool.mode === "flags") continue;
    if (tool.mode === "many" && seen.has(raw)) continue;
    seen.add(raw);
    const { token, last } = clean(raw);
    const name = nameOf(tool, token);
    const one = tool.mode !== "many";
    if (name && !(tool.mode === "one" && named)) names.push({ name: tool.mode === "create" ? createPackage(name) : name, arg: i });
    if (last || one) {
      i++;
      break; // npx runs one package; the rest are its arguments
    }
  }
  return { names, end: i };
}

/** Packages installed or run by one command given as words (an argv), with the index of each word. */
export function installsOfArgv(argv: string[]): { name: string; ecosystem: PackageEcosystem; index: number }[] {
  let from = 0;
  while (from < argv.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[from]!) || PREFIXES.has(argv[from]!))) from++;
  const tool = parseTool(argv, from);
  if (!tool) return [];
  const offset = argv.length - tool.args.length;
  return namesOf(tool).names.map((n) => ({ name: n.name, ecosystem: tool.ecosystem, index: offset + n.arg }));
}
