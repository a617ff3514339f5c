/**
 * Patches agents send: Codex's `*** Begin Patch` format (Add / Update / Delete File, `@@`
 * hunks, `*** Move to:`), unified diffs (`diff --git`, `---`/`+++`, `@@ -a,b +c,d @@`) and
 * Cline's SEARCH/REPLACE blocks. Each hunk becomes two fragments: the new side (context and
 * added lines) and the old side (context and removed lines), so a manifest parser sees the
 * section headers in the context and an edit is judged by what it adds.
 */
import type { Fragment } from "./files.js";

export interface Hunk {
  added: Fragment;
  removed: Fragment;
}

export interface FilePatch {
  path: string;
  hunks: Hunk[];
}

const emptyHunk = (): Hunk => ({ added: { lines: [], lineNos: [] }, removed: { lines: [], lineNos: [] } });

function push(f: Fragment, text: string, line: number): void {
  f.lines.push(text);
  f.lineNos.push(line);
}

/** Either patch format, told apart by Codex's `*** … File:` headers. */
export function parsePatch(patch: Fragment): FilePatch[] {
  return patch.lines.some((l) => /^\*\*\* (?:Begin Patch|(?:Add|Update|Delete) File:)/.test(l)) ? parseCodex(patch) : parseUnified(patch);
}

function parseCodex(patch: Fragment): FilePatch[] {
  const files: FilePatch[] = [];
  let file: FilePatch | undefined;
  let hunk: Hunk | undefined;
  let adding = false;
  for (const [i, line] of patch.lines.entries()) {
    const lineNo = patch.lineNos[i]!;
    const header = /^\*\*\* (Add|Update|Delete) File:\s*(.+?)\s*$/.exec(line);
    if (header) {
      file = header[1] === "Delete" ? undefined : { path: header[2]!, hunks: [(hunk = emptyHunk())] };
      if (file) files.push(file);
      adding = header[1] === "Add";
      continue;
    }
    const move = /^\*\*\* Move to:\s*(.+?)\s*$/.exec(line);
    if (move && file) {
      file.path = move[1]!;
      continue;
    }
    if (!file || !hunk || line.startsWith("*** ")) continue;
    if (line.startsWith("@@")) {
      if (hunk.added.lines.length || hunk.removed.lines.length) file.hunks.push((hunk = emptyHunk()));
      continue;
    }
    if (adding) {
      // Add File lines all start with "+"; a model that forgets it still means the line.
      push(hunk.added, line.startsWith("+") ? line.slice(1) : line, lineNo);
    } else if (line.startsWith("+")) push(hunk.added, line.slice(1), lineNo);
    else if (line.startsWith("-")) push(hunk.removed, line.slice(1), lineNo);
    else {
      const context = line.startsWith(" ") ? line.slice(1) : line;
      push(hunk.added, context, lineNo);
      push(hunk.removed, context, lineNo);
    }
  }
  return files;
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

function stripPrefix(path: string): string {
  return path.replace(/\t.*$/, "").trim().replace(/^[ab]\//, "");
}

function parseUnified(patch: Fragment): FilePatch[] {
  const files: FilePatch[] = [];
  const { lines } = patch;
  let file: FilePatch | undefined;
  let hunk: Hunk | undefined;
  // Lines left in the current hunk by its header counts; undefined when the header had none.
  let left: { old: number; new: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = patch.lineNos[i]!;
    const inCountedHunk = left !== undefined && (left.old > 0 || left.new > 0);
    if (!inCountedHunk && line.startsWith("--- ") && lines[i + 1]?.startsWith("+++ ")) {
      const target = stripPrefix(lines[i + 1]!.slice(4));
      file = target === "/dev/null" ? undefined : { path: target, hunks: [] };
      if (file) files.push(file);
      hunk = undefined;
      left = undefined;
      i++;
      continue;
    }
    if (!inCountedHunk && line.startsWith("diff --git ")) {
      file = undefined;
      hunk = undefined;
      continue;
    }
    if (line.startsWith("@@")) {
      const counts = HUNK.exec(line);
      left = counts ? { old: Number(counts[1] ?? 1), new: Number(counts[2] ?? 1) } : undefined;
      if (file) file.hunks.push((hunk = emptyHunk()));
      continue;
    }
    if (!file || !hunk || line.startsWith("\\")) continue;
    if (left && left.old <= 0 && left.new <= 0) continue;
    const c = line[0];
    if (c === "+") {
      push(hunk.added, line.slice(1), lineNo);
      if (left) left.new--;
    } else if (c === "-") {
      push(hunk.removed, line.slice(1), lineNo);
      if (left) left.old--;
    } else {
      const context = c === " " ? line.slice(1) : line;
      push(hunk.added, context, lineNo);
      push(hunk.removed, context, lineNo);
      if (left) {
        left.old--;
        left.new--;
      }
    }
  }
  return files;
}

/** Cline's blocks: `------- SEARCH` (or `<<<<<<< SEARCH`), `=======`, `+++++++ REPLACE` (or `>>>>>>> REPLACE`). */
export function parseSearchReplace(diff: Fragment): Hunk[] {
  const hunks: Hunk[] = [];
  let hunk: Hunk | undefined;
  let side: "search" | "replace" | undefined;
  for (const [i, line] of diff.lines.entries()) {
    const t = line.trim();
    if (/^(?:-{3,}|<{3,}) ?SEARCH>?$/.test(t)) {
      hunks.push((hunk = emptyHunk()));
      side = "search";
    } else if (side === "search" && /^={3,}$/.test(t)) side = "replace";
    else if (/^(?:\+{3,}|>{3,}) ?REPLACE<?$/.test(t)) side = undefined;
    else if (hunk && side) push(side === "search" ? hunk.removed : hunk.added, line, diff.lineNos[i]!);
  }
  return hunks;
}
