/**
 * Finds packages in install commands (pip, uv, poetry, pipenv, conda, npm, yarn,
 * pnpm, bun, npx) and strips flags, versions, extras, URLs, paths and git refs.
 */
import type { PackageEcosystem } from "../types.js";
import { isValidNpmName } from "../names.js";

export interface InstallHit {
  name: string;
  ecosystem: PackageEcosystem;
  line: number;
}

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
  "--path", "--git", "--url", "--override-channels", "--upgrade-package", "-P",
]);

/** Words that end a command written inside prose or a comment ("pip install x if needed"). */
export const STOP_WORDS = new Set([
  "if", "to", "and", "or", "then", "first", "before", "after", "the", "in", "for", "with", "using", "on", "as",
  "from", "via", "by", "is", "are", "it", "this", "that", "you", "your", "will", "which", "command", "package",
  "packages", "library", "libraries", "module", "modules", "e.g.", "i.e.", "etc", "#", "//", "<", ">", "|",
  "may", "might", "can", "could", "should", "would", "must", "does", "do", "doesn't", "won't", "was", "were",
  "has", "have", "again", "now", "globally", "locally", "inside", "into", "without", "only", "also", "just",
  "not", "so", "but", "when", "while", "where", "because", "instead", "like", "fails", "works", "here", "there",
]);

interface Tool { ecosystem: PackageEcosystem; args: string[]; npx?: boolean; create?: boolean }

const PREFIXES = new Set(["sudo", "$", ">", "!", "%", "run", "RUN", "exec"]);

/**
 * Recognises the tool at `all[from]` (after `sudo`, `VAR=x`…); returns its argument tokens
 * (a suffix of `all`). Index-based so that scanning a long line stays linear.
 */
function parseTool(all: string[], from = 0): Tool | undefined {
  let i = from;
  while (i < all.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(all[i]!) || PREFIXES.has(all[i]!))) i++;
  if (i >= all.length) return undefined;
  const [a = "", b = "", c = ""] = all.slice(i, i + 3).map((x) => x.replace(/^[!%$]/, ""));
  const rest = (n: number): string[] => all.slice(i + n);
  const cmd = a.toLowerCase().replace(/\.exe$/, "");
  const isPy = /^(python[\d.]*|py)$/.test(cmd);
  if (/^pip[\d.]*$/.test(cmd) && b === "install") return { ecosystem: "pypi", args: rest(2) };
  if (isPy && b === "-m" && /^pip[\d.]*$/.test(c) && all[i + 3] === "install") return { ecosystem: "pypi", args: rest(4) };
  if (cmd === "uv" && b === "pip" && c === "install") return { ecosystem: "pypi", args: rest(3) };
  if ((cmd === "uv" || cmd === "poetry" || cmd === "pdm" || cmd === "rye") && b === "add") return { ecosystem: "pypi", args: rest(2) };
  if ((cmd === "pipenv" || cmd === "pipx") && b === "install") return { ecosystem: "pypi", args: rest(2) };
  if ((cmd === "conda" || cmd === "mamba" || cmd === "micromamba") && b === "install") return { ecosystem: "conda", args: rest(2) };
  if (cmd === "npm" && ["i", "install", "add", "isntall", "in"].includes(b)) return { ecosystem: "npm", args: rest(2) };
  if (cmd === "npm" && (b === "create" || b === "init") && c && !c.startsWith("-")) return { ecosystem: "npm", args: [c], create: true };
  if (cmd === "yarn" && b === "add") return { ecosystem: "npm", args: rest(2) };
  if (cmd === "yarn" && b === "global" && c === "add") return { ecosystem: "npm", args: rest(3) };
  if (cmd === "pnpm" && ["add", "i", "install"].includes(b)) return { ecosystem: "npm", args: rest(2) };
  if (cmd === "bun" && ["add", "i", "install"].includes(b)) return { ecosystem: "npm", args: rest(2) };
  if (cmd === "npx" || cmd === "pnpx" || cmd === "bunx" || (cmd === "pnpm" && b === "dlx")) {
    return { ecosystem: "npm", args: rest(cmd === "pnpm" ? 2 : 1), npx: true };
  }
  return undefined;
}

/** Shell-ish tokenizer: quotes group, backticks end a token; keeps each token's offset. */
function tokenizeAt(cmd: string): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  for (const m of cmd.matchAll(/"([^"]*)"|'([^']*)'|([^\s"'`]+)/g)) out.push({ text: m[1] ?? m[2] ?? m[3] ?? "", at: m.index! });
  return out;
}

export function tokenize(cmd: string): string[] {
  return tokenizeAt(cmd).map((t) => t.text);
}

const URLISH = /^(?:[a-z][a-z0-9+.-]*:\/\/|git\+|git@|github:|gitlab:|bitbucket:|file:|link:|workspace:|portal:|npm:|https?:)/i;
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
  if (alias) return alias[1];
  if (!s || URLISH.test(s) || ARCHIVE.test(s) || /^[./~\\]/.test(s)) return undefined;
  const m = /^(@[^@/\s]+\/[^@/\s]+|[^@/\s]+)(?:@[^\s]*)?$/.exec(s);
  // Anything npm would refuse (`!zod`, `=3.0.*`) is a parsing artefact, not a package.
  return m?.[1] && isValidNpmName(m[1]) ? m[1] : undefined;
}

/** Cleans a token written in prose or comments: trailing punctuation, markdown emphasis. */
function clean(token: string): { token: string; last: boolean } {
  return { token: token.replace(/[.,;:)*]+$/, "").replace(/^[(*]+/, ""), last: /[.,;:]$/.test(token) };
}

/**
 * Package names of one command, each with the index of its token in `tool.args`, and
 * `end`: the index where the command stopped (so prose may hold another command after it).
 */
function namesOf(tool: Tool): { names: { name: string; arg: number }[]; end: number } {
  const names: { name: string; arg: number }[] = [];
  let i = 0;
  for (; i < tool.args.length; i++) {
    const raw = tool.args[i]!;
    if (STOP_WORDS.has(raw.toLowerCase()) || raw.startsWith("#") || /^[<[{]/.test(raw)) break;
    if (raw.startsWith("-")) {
      const flag = raw.split("=")[0]!;
      if (tool.npx && (flag === "-p" || flag === "--package") && !raw.includes("=")) {
        const v = tool.args[++i];
        const n = v && npmNameOfSpec(v);
        if (n) names.push({ name: n, arg: i });
      } else if (VALUE_FLAGS.has(flag) && !raw.includes("=")) i++;
      continue;
    }
    const { token, last } = clean(raw);
    const name = tool.ecosystem === "npm" ? npmNameOfSpec(token) : pypiNameOfSpec(token);
    // `pip install -U pip` / `npm i -g npm` upgrade the installer itself, not a dependency.
    if (name && name.toLowerCase() === (tool.ecosystem === "npm" ? "npm" : "pip")) continue;
    if (name) names.push({ name: tool.create ? createPackage(name) : name, arg: i });
    if (last || tool.npx || tool.create) {
      i++;
      break; // npx runs one package; the rest are its arguments
    }
  }
  return { names, end: i };
}

/** `npm create vite` runs the package `create-vite` (`@scope` → `@scope/create`). */
function createPackage(name: string): string {
  if (name.startsWith("@")) {
    const [scope, rest] = name.split("/");
    return rest ? `${scope}/create-${rest}` : `${scope}/create`;
  }
  return `create-${name}`;
}

const PROMPT = /^\s*(?:#|\/\/|>|\$|PS>|In \[\d+\]:)?\s*/;

/**
 * The parts of a line that may hold a command, with their offsets: inline code spans when
 * the line has them; otherwise the whole line in code, and in prose only a line that starts with one.
 */
function spansOf(text: string, prose: boolean): { text: string; at: number }[] {
  const inline = [...text.matchAll(/`([^`]+)`/g)].map((m) => ({ text: m[1]!, at: m.index! + 1 }));
  if (inline.length) return inline;
  const bare = text.replace(PROMPT, "");
  const span = { text: bare, at: text.length - bare.length };
  if (!prose) return [span];
  // In prose a command may follow words ("Install it with pip install x."); stop words end it.
  const t = tokenize(bare);
  return t.some((_, k) => parseTool(t, k)) ? [span] : [];
}

/** Every command parseTool knows starts with one of these words. */
const TOOL_WORD = /(?:^|[\s!%$`(;&|])(?:pip[\d.]*|python[\d.]*|py|uv|poetry|pdm|rye|pipenv|pipx|conda|mamba|micromamba|npm|yarn|pnpm|pnpx|bun|bunx|npx)(?:\.exe)?(?=\s|$)/i;

const SEPARATOR = /&&|\|\||;|\||\bthen\b/g;

/** Simple commands of a span (split at `&&`, `||`, `;`, `|`, `then`), with their offsets. */
function commandsOf(span: { text: string; at: number }): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let from = 0;
  for (const m of span.text.matchAll(SEPARATOR)) {
    out.push({ text: span.text.slice(from, m.index), at: span.at + from });
    from = m.index! + m[0].length;
  }
  out.push({ text: span.text.slice(from), at: span.at + from });
  return out;
}

/**
 * Scans lines for install commands, joining `\` continuations and trailing `&&`/`||`,
 * and tags each package with the line its own token is on.
 */
export function findInstalls(lines: string[], firstLine: number, prose: boolean): InstallHit[] {
  const hits: InstallHit[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!TOOL_WORD.test(lines[i]!)) continue; // most lines of an answer name no installer
    // starts[k] is where line i+k begins in the joined text.
    const starts = [0];
    const first = i;
    let text = lines[i]!;
    const join = (glue: string): void => {
      text += glue;
      starts.push(text.length);
      text += lines[++i]!;
    };
    while (/\\\s*$/.test(text) && i + 1 < lines.length) {
      text = text.replace(/\\\s*$/, "");
      join(" ");
    }
    while (/(?:&&|\|\|)\s*$/.test(text) && i + 1 < lines.length) join(" ");
    const lineOf = (offset: number): number => firstLine + first + starts.filter((s) => s <= offset).length - 1;
    for (const span of spansOf(text, prose)) {
      for (const cmd of commandsOf(span)) {
        const tokens = tokenizeAt(cmd.text);
        const texts = tokens.map((t) => t.text);
        for (let k = 0; k < tokens.length; k++) {
          const tool = parseTool(texts, k);
          if (!tool) continue;
          const suffix = tokens.length - tool.args.length;
          const { names, end } = namesOf(tool);
          for (const { name, arg } of names) {
            const tok = tool.create ? tokens[k] : tokens[suffix + arg];
            hits.push({ name, ecosystem: tool.ecosystem, line: lineOf(cmd.at + (tok?.at ?? 0)) });
          }
          // npx and `npm create` consume the rest of the command as the package's own arguments.
          if (tool.npx || tool.create) break;
          k = Math.max(k, suffix + end - 1);
        }
      }
    }
  }
  return hits;
}
