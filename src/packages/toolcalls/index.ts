/**
 * Packages in an answer's tool calls: each call's arguments are read by its tool spec
 * (shell command, file write, edit, patch, editor) or, for a tool with no spec, every string
 * argument as text. Every package carries its location: call id, tool, argument path.
 */
import type { Ecosystem, ToolCallInput, ToolCallLocation } from "../types.js";
import { type ExtractContext, type Raw, textRaws } from "../extract/index.js";
import { addedNames, fileKind, type Fragment, fragmentOf, modulesOfPaths, namesInFile } from "../extract/files.js";
import { parsePatch, parseSearchReplace, type FilePatch, type Hunk } from "../extract/patches.js";
import { scanArgv, scanScript, type ShellDeps } from "../extract/shell-scan.js";
import { lineIndex } from "../extract/lines.js";
import { localModules } from "../extract/python.js";
import { argAt, parseArgs, stringLeaves, type Arg } from "./args.js";
import { specOf, type ToolSpec, type ToolSpecs } from "./config.js";

export interface ToolScanOptions {
  ctx: ExtractContext;
  specs: ToolSpecs;
  ecosystem?: Ecosystem;
  /** The answer's text: files it names (`utils.py`) are local modules for the calls too. */
  text?: string;
}

interface Scan {
  raws: Raw[];
  /** Paths of files written, edited or patched, for local-module detection. */
  paths: string[];
}

/** Packages of every call, in call order; imports of modules the calls themselves write are dropped. */
export function toolCallRaws(calls: ToolCallInput[], o: ToolScanOptions): Raw[] {
  const raws: Raw[] = [];
  const paths: string[] = [];
  for (const call of calls) {
    const scan = scanCall(call, o);
    for (const r of scan.raws) raws.push(r);
    for (const p of scan.paths) paths.push(p);
  }
  const locals = modulesOfPaths(paths);
  if (o.text) for (const m of localModules(o.text)) locals.add(m);
  return raws.filter((r) => !(r.source === "import" && r.ecosystem === "pypi" && r.module !== undefined && locals.has(r.module)));
}

function scanCall(call: ToolCallInput, o: ToolScanOptions): Scan {
  const spec: ToolSpec = specOf(o.specs, call.name) ?? { kind: "text" };
  const scan: Scan = { raws: [], paths: [] };
  if (spec.kind === "ignore") return scan;
  const at = (path: string) => (r: Raw): Raw => ({ ...r, location: { toolCallId: call.id, tool: call.name, path } satisfies ToolCallLocation });
  const add = (path: string, rs: Raw[]): void => {
    for (const r of rs) scan.raws.push(at(path)(r));
  };
  const parsed = parseArgs(call.input);
  if (parsed.kind === "malformed") {
    // Cut off or broken JSON: read each string in it as text.
    for (const s of parsed.strings) add("input", text(s, o));
    return scan;
  }
  if (parsed.kind === "raw") {
    // A custom tool's free-text input (Codex sends apply_patch's grammar as raw text).
    if (spec.kind === "shell") add("input", script(parsed.text, o, scan));
    else if (spec.kind === "patch") add("input", patched(parsePatch(fragmentOf(parsed.text)), o, scan, 0));
    else add("input", text(parsed.text, o));
    return scan;
  }
  const args = parsed.value;
  const str = (names: string[]): Arg<string> | undefined => {
    const a = argAt(args, names);
    return a && typeof a.value === "string" ? (a as Arg<string>) : undefined;
  };
  switch (spec.kind) {
    case "shell": {
      const a = argAt(args, spec.command);
      if (a && typeof a.value === "string") add(a.path, script(a.value, o, scan));
      else if (a && Array.isArray(a.value) && a.value.every((x) => typeof x === "string")) {
        for (const r of scanArgv(a.value as string[], shellDeps(o, scan))) {
          const { word, ...raw } = r;
          scan.raws.push(at(word === undefined ? a.path : `${a.path}[${word}]`)(raw));
        }
      }
      break;
    }
    case "write": {
      const file = str(spec.path);
      const content = str(spec.content);
      if (content) add(content.path, written(file?.value, fragmentOf(content.value), o, scan));
      break;
    }
    case "edit": {
      const file = str(spec.path);
      const next = str(spec.new);
      if (next) add(next.path, edited(file?.value, [{ added: fragmentOf(next.value), removed: fragmentOf(str(spec.old)?.value ?? "") }], o, scan));
      break;
    }
    case "multi-edit": {
      const file = str(spec.path);
      const edits = argAt(args, spec.edits);
      if (!edits || !Array.isArray(edits.value)) break;
      edits.value.forEach((e: unknown, i) => {
        const item = e !== null && typeof e === "object" ? (e as Record<string, unknown>) : {};
        const next = item[spec.new];
        const old = item[spec.old];
        if (typeof next !== "string") return;
        const sides = [{ added: fragmentOf(next), removed: fragmentOf(typeof old === "string" ? old : "") }];
        add(`${edits.path}[${i}].${spec.new}`, edited(file?.value, sides, o, scan));
      });
      break;
    }
    case "patch": {
      const p = str(spec.patch);
      if (p) add(p.path, patched(parsePatch(fragmentOf(p.value)), o, scan, 0));
      break;
    }
    case "search-replace": {
      const file = str(spec.path);
      const diff = str(spec.diff);
      if (diff) add(diff.path, edited(file?.value, parseSearchReplace(fragmentOf(diff.value)), o, scan));
      break;
    }
    case "editor":
      editor(spec, str, o, scan, add);
      break;
    case "text":
      for (const leaf of stringLeaves(args, spec.args)) add(leaf.path, text(leaf.value, o));
      break;
  }
  return scan;
}

type Add = (path: string, rs: Raw[]) => void;
type Str = (names: string[]) => Arg<string> | undefined;

/** OpenHands / Anthropic editor: `create` writes, `str_replace` edits, `insert` adds; `view` reads. */
function editor(spec: Extract<ToolSpec, { kind: "editor" }>, str: Str, o: ToolScanOptions, scan: Scan, add: Add): void {
  const command = str(spec.command)?.value;
  const file = str(spec.path)?.value;
  if (command === "create") {
    const content = str(spec.content);
    if (content) add(content.path, written(file, fragmentOf(content.value), o, scan));
  } else if (command === "str_replace" || command === "insert") {
    const next = str(spec.new);
    const old = command === "str_replace" ? (str(spec.old)?.value ?? "") : "";
    if (next) add(next.path, edited(file, [{ added: fragmentOf(next.value), removed: fragmentOf(old) }], o, scan));
  }
}

function text(value: string, o: ToolScanOptions): Raw[] {
  return textRaws(value, o.ctx, { markdown: true, ...(o.ecosystem ? { ecosystem: o.ecosystem } : {}) });
}

function shellDeps(o: ToolScanOptions, scan: Scan): ShellDeps {
  return {
    write: (path, content, depth) => written(path, content, o, scan, depth),
    patch: (files, depth) => patched(files, o, scan, depth),
  };
}

function script(value: string, o: ToolScanOptions, scan: Scan, depth = 0, lineAt = lineIndex(value)): Raw[] {
  return scanScript(value, lineAt, shellDeps(o, scan), depth).map(({ word: _, ...r }) => r);
}

/** File-scan helpers bound to this call: shell scripts and docs the agent writes are read too. */
function fileDeps(o: ToolScanOptions, scan: Scan, depth: number) {
  return {
    ctx: o.ctx,
    shell: (frag: Fragment) => {
      const joined = frag.lines.join("\n");
      const index = lineIndex(joined, 0);
      return script(joined, o, scan, depth + 1, (off) => frag.lineNos[index(off)] ?? 1);
    },
    text: (frag: Fragment) => text(frag.lines.join("\n"), o).map((r) => ({ ...r, line: frag.lineNos[r.line - 1] ?? r.line })),
  };
}

/** A whole-file write (or append): every name in it is new. No path: read as text. */
function written(path: string | undefined, content: Fragment, o: ToolScanOptions, scan: Scan, depth = 0): Raw[] {
  if (path === undefined) return fileDeps(o, scan, depth).text(content);
  scan.paths.push(path);
  return namesInFile(fileKind(path), content, fileDeps(o, scan, depth), false);
}

function edited(path: string | undefined, sides: Hunk[], o: ToolScanOptions, scan: Scan, depth = 0): Raw[] {
  if (path !== undefined) scan.paths.push(path);
  const kind = path === undefined ? "markdown" : fileKind(path);
  return addedNames(kind, sides, fileDeps(o, scan, depth), true);
}

function patched(files: FilePatch[], o: ToolScanOptions, scan: Scan, depth: number): Raw[] {
  const out: Raw[] = [];
  for (const f of files) for (const r of edited(f.path, f.hunks, o, scan, depth)) out.push(r);
  return out;
}
