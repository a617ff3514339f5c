/**
 * What a shell command an agent runs would install: package-manager commands anywhere in
 * a chain (after `sudo`, `env`, `VAR=x`, inside `bash -lc "…"` or `eval`), manifests and
 * code it writes (`cat > requirements.txt <<EOF`, `echo x >> requirements.txt`, `tee`), and
 * patches it applies (`apply_patch`, `git apply <<EOF`). Words that are only mentioned
 * (`git commit -m "pip install x"`, `echo "pip install x"`, `grep "npm i"`) are not commands.
 */
import type { Raw } from "./index.js";
import { installsOfArgv, parseTool } from "./managers.js";
import { lexShell, lineOfWord, type SimpleCommand, type Word } from "./shell.js";
import { type Fragment, fragmentOf } from "./files.js";
import { parsePatch, type FilePatch } from "./patches.js";

/** A hit of a top-level command, with the index of the argv word it came from. */
export type ShellRaw = Raw & { word?: number };

export interface ShellDeps {
  /** A file the command writes in full or appends to (all of its names are new). */
  write: (path: string, content: Fragment, depth: number) => Raw[];
  /** Files a patch the command applies changes. */
  patch: (files: FilePatch[], depth: number) => Raw[];
}

/** `bash -c "bash -c '…'"` nests; deeper than this is not read (and cannot blow the stack). */
const MAX_DEPTH = 4;

/** Commands that run another command given by their later words. */
const WRAPPERS = new Set(["npx", "pnpx", "bunx", "docker", "podman", "kubectl", "poetry", "pipenv", "pdm", "hatch", "conda", "mamba", "micromamba", "uv", "watch", "xvfb-run", "nix-shell"]);
const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "mksh"]);
const KEYWORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "time", "{", "}", "exec", "command", "nohup", "builtin", "noglob", "[[", "]]"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Option flags of prefix commands that take a value (`sudo -u user`, `env -C dir`, `nice -n 5`). */
const PREFIX_VALUE_FLAGS: Record<string, Set<string>> = {
  sudo: new Set(["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group", "--chdir"]),
  doas: new Set(["-u", "-C"]),
  env: new Set(["-u", "-C", "-S", "--unset", "--chdir"]),
  nice: new Set(["-n", "--adjustment"]),
  timeout: new Set(["-s", "-k", "--signal", "--kill-after"]),
  stdbuf: new Set(["-i", "-o", "-e"]),
};

const base = (w: string | undefined): string => (w ?? "").replace(/^.*\//, "");

/** Index of the first word that is the command itself (after assignments, sudo, env…). */
function commandStart(words: Word[]): number {
  let k = 0;
  while (k < words.length) {
    const w = words[k]!.text;
    if (ASSIGNMENT.test(w) || KEYWORDS.has(w)) {
      k++;
      continue;
    }
    const flags = PREFIX_VALUE_FLAGS[base(w)];
    if (!flags) break;
    const timeout = base(w) === "timeout";
    k++;
    while (k < words.length && (words[k]!.text.startsWith("-") || ASSIGNMENT.test(words[k]!.text))) {
      const t = words[k]!.text;
      k += flags.has(t) ? 2 : 1;
      if (t === "--") break;
    }
    if (timeout) k++; // the duration
  }
  return k;
}

/** The script word of `bash -lc "…"` / `sh -c '…'` / `bash -euo pipefail -c …`, if any. */
function scriptOf(args: Word[]): number | undefined {
  let hasC = false;
  for (let k = 0; k < args.length; k++) {
    const t = args[k]!.text;
    if (t === "--") return hasC ? k + 1 : undefined;
    if (/^[-+][A-Za-z]+$/.test(t)) {
      if (t.includes("c")) hasC = true;
      if (t.includes("o")) k++; // `-o pipefail`
      continue;
    }
    if (t.startsWith("--")) continue;
    return hasC ? k : undefined;
  }
  return undefined;
}

const ESC: Record<string, string> = { n: "\n", t: "\t", "\\": "\\" };
const unescape = (s: string): string => s.replace(/\\([nt\\])/g, (_, c: string) => ESC[c]!);

/** What `echo` / `printf` print, as lines with the lines they come from. */
function printed(words: Word[]): Fragment | undefined {
  const cmd = base(words[0]?.text);
  if (cmd === "echo") {
    let k = 1;
    let escapes = false;
    while (k < words.length && /^-[neE]+$/.test(words[k]!.text)) escapes ||= words[k++]!.text.includes("e");
    const args = words.slice(k);
    if (args.length === 1 && !escapes) return fragmentWithin(args[0]!);
    const text = args.map((w) => w.text).join(" ");
    return lineAll(escapes ? unescape(text) : text, args[0]?.line ?? words[0]!.line);
  }
  if (cmd === "printf" && words.length > 1) {
    const format = words[1]!.text;
    const args = words.slice(2).map((w) => w.text);
    const body = format.includes("%s") && args.length ? args.map((a) => format.replace(/%s/g, a)).join("") : format;
    return lineAll(unescape(body), words[1]!.line);
  }
  return undefined;
}

/** A word's text as lines, each with the line of the source it came from. */
function fragmentWithin(word: Word): Fragment {
  const lines = word.text.split("\n");
  const lineNos: number[] = [];
  let at = 0;
  for (const l of lines) {
    lineNos.push(lineOfWord(word, at));
    at += l.length + 1;
  }
  return { lines, lineNos };
}

function lineAll(text: string, line: number): Fragment {
  const lines = text.split("\n");
  return { lines, lineNos: lines.map(() => line) };
}

function heredocOf(cmd: SimpleCommand): Fragment | undefined {
  const h = cmd.redirects.find((r) => r.heredoc)?.heredoc;
  return h && { lines: h.lines.map((l) => l.text), lineNos: h.lines.map((l) => l.line) };
}

/** What a command writes to its standard output that we can know: a heredoc through cat, or echo/printf. */
function output(cmd: SimpleCommand | undefined): Fragment | undefined {
  if (!cmd) return undefined;
  const words = cmd.words.slice(commandStart(cmd.words));
  const name = base(words[0]?.text);
  if (name === "cat" && words.length === 1) return heredocOf(cmd);
  return printed(words);
}

const WRITES = new Set([">", ">>", ">|", "&>", "&>>"]);

function interpret(cmd: SimpleCommand, prev: SimpleCommand | undefined, deps: ShellDeps, depth: number): ShellRaw[] {
  const start = commandStart(cmd.words);
  const words = cmd.words.slice(start);
  const out: ShellRaw[] = [];
  const name = base(words[0]?.text);
  const argv = words.map((w) => w.text);
  if (SHELLS.has(name)) {
    const k = scriptOf(words.slice(1));
    if (k !== undefined) {
      const script = words[k + 1]!;
      for (const r of scanScript(script.text, (o) => lineOfWord(script, o), deps, depth + 1)) out.push({ ...r, word: start + k + 1 });
    }
  } else if (name === "eval" && words.length > 1) {
    const first = words[1]!;
    for (const r of scanScript(argv.slice(1).join(" "), () => first.line, deps, depth + 1)) out.push({ ...r, word: start + 1 });
  } else if (name === "apply_patch" || name === "applypatch" || ((name === "git" && argv[1] === "apply") || name === "patch")) {
    const body = name.startsWith("apply") && words[1] ? fragmentWithin(words[1]) : heredocOf(cmd);
    if (body) for (const r of deps.patch(parsePatch(body), depth)) out.push({ ...r, word: start + 1 });
  } else {
    const starts = [0];
    // A wrapper (`docker compose exec api pip install x`, `poetry run pip …`) runs a command given by its later words.
    if (WRAPPERS.has(name)) {
      const inner = argv.findIndex((_, k) => k > 0 && parseTool(argv, k) !== undefined);
      if (inner > 0) starts.push(inner);
    }
    for (const from of starts) {
      for (const h of installsOfArgv(argv.slice(from))) {
        out.push({ name: h.name, ecosystem: h.ecosystem, source: "install", line: words[from + h.index]!.line, word: start + from + h.index });
      }
    }
  }
  // Files written: `cat > f <<EOF`, `echo x >> f`, `… | tee [-a] f`.
  const content = name === "tee" ? (heredocOf(cmd) ?? (cmd.piped ? output(prev) : undefined)) : output(cmd);
  if (content) {
    const targets = cmd.redirects.filter((r) => WRITES.has(r.op) && r.target).map((r) => r.target!.text);
    if (name === "tee") for (const w of words.slice(1)) if (!w.text.startsWith("-")) targets.push(w.text);
    for (const t of targets) for (const r of deps.write(t, content, depth)) out.push(r);
  }
  return out;
}

/** Every package a script installs or writes; `lineAt` maps its offsets to the caller's lines. */
export function scanScript(script: string, lineAt: (offset: number) => number, deps: ShellDeps, depth = 0): ShellRaw[] {
  if (depth > MAX_DEPTH) return [];
  const out: ShellRaw[] = [];
  const commands = lexShell(script, lineAt);
  commands.forEach((cmd, i) => {
    for (const r of interpret(cmd, commands[i - 1], deps, depth)) out.push(r);
  });
  return out;
}

/** An argv (`["bash", "-lc", "pip install x"]`, `["pip", "install", "x"]`): each hit knows its element. */
export function scanArgv(argv: string[], deps: ShellDeps): ShellRaw[] {
  const words: Word[] = argv.map((text) => ({ text, line: 1, marks: lineMarks(text) }));
  return interpret({ words, redirects: [], piped: false }, undefined, deps, 0);
}

/** Marks for a word that is a string of its own: line k starts after the (k-1)th newline. */
function lineMarks(text: string): number[] {
  const marks: number[] = [];
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) marks.push(i + 1, ++line);
  return marks;
}
