/**
 * Splits streamed answer text into prose, which is released at once, and held pieces,
 * which are released only when complete and checked. Used when a bad package must
 * never reach the client (policy `block`), so it holds a superset of what the package
 * extractor reads (src/packages/extract), as the extractor reads a whole answer:
 * - fenced code blocks (with the prose line before them, which may name the file);
 * - install commands outside fences, from the command word to the end of the line;
 * - before any fence: lines that may be code (imports, requires, manifest entries),
 *   because an answer without fences is read as code;
 * - while every line so far may be a list item or a requirement: those lines, because
 *   a bare list of names is read as packages.
 * Everything else is released word by word, so time to first token stays close to
 * pass-through. Pure, synchronous and linear in the input: each push scans only the new
 * text (plus a bounded look-back), so a hostile stream without newlines or whitespace
 * costs no more than a normal one.
 */
import { lineItems } from "../../packages/extract/list.js";

export type HeldKind = "fence" | "install" | "code" | "list";
export type Piece =
  | { kind: "prose"; text: string }
  /** `context`: lines before the piece that change how it reads (the caption of a fence, an import's first lines). */
  | { kind: "held"; segment: HeldKind; text: string; context: string };

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
/** A partial line that may still turn into a fence opener (or inline code) once complete. */
const MAYBE_FENCE = /^ {0,3}(?:[`~]|$)/;
/** A command word that may start an install; prose from here on waits for the line end. */
const COMMAND_START = /(^|[\s`$>(;&|!%])(pip[\d.]*|pipx|python[\d.]*|py|uv|uvx|poetry|pdm|pipenv|conda|mamba|micromamba|npm|npx|pnpm|pnpx|yarn|bun|bunx|deno)(?=\s|$)/i;
export const INSTALL_COMMAND =
  /\b(?:pip[\d.]*|pipx|python[\d.]*\s+-m\s+pip|uv(?:\s+pip|\s+tool)?|uvx|poetry|pdm|pipenv|conda|mamba|micromamba|npm|npx|pnpm|pnpx|yarn|bun|bunx|deno)\s+\S/i;
/** Lines that read as code when the answer has no fence (before the first fence). */
const CODE_START = /^\s*(?:>>>\s*|\$\s*)?(?:import\b|from\b|\}\s*from\b|(?:const|let|var|export)\s|require\s*\(|"[^"\n]*"\s*:|['"]?[A-Za-z0-9][\w.-]*['"]?\s*(?:==|>=|<=|~=|!=|<|>|===)|\[|\{|install_requires|dependencies\b)/;
/** Code that names a module in the middle of a line. */
const CODE_ANYWHERE = /\b(?:require|import)\s*\(|\bfrom\s*["']|\bimport\s*["']/;
/** A requirements-file line: name, extras, pins, markers; or a comment. */
const REQUIREMENT = /^\s*(?:#.*|-[-\w]+.*|[A-Za-z0-9][\w.-]*\s*(?:\[[^\]]*\])?\s*(?:(?:===|==|>=|<=|~=|!=|<|>)\s*[\w.*+!-]+\s*,?\s*)*(?:;.*)?)$/;
const LOOK_BACK = 24;
/** The line's first word is complete. */
const FIRST_WORD = /^\s*\S+\s/;
const MAX_UNDECIDED = 1024;
const CONTEXT_LINES = 12;

/**
 * The unreleased text of the current line, kept as chunks: reading a character of a long
 * concatenated string makes V8 flatten it, which turned every push into a copy of the whole
 * line (quadratic on a line without newlines). Only the head (where a line's kind is
 * decided) and the tail (where a command word may straddle two chunks) are ever read
 * before the line is complete.
 */
class LineBuffer {
  private chunks: string[] = [];
  length = 0;
  head = "";
  tail = "";
  /** Index just after the last whitespace (where prose may be cut), or 0. */
  cutAt = 0;

  append(text: string): void {
    for (let i = text.length - 1; i >= 0; i--) {
      if (isSpace(text.charCodeAt(i))) {
        this.cutAt = this.length + i + 1;
        break;
      }
    }
    this.chunks.push(text);
    this.length += text.length;
    if (this.head.length < HEAD) this.head = (this.head + text).slice(0, HEAD);
    this.tail = (this.tail + text.slice(-LOOK_BACK)).slice(-LOOK_BACK);
  }

  text(): string {
    if (this.chunks.length > 1) this.chunks = [this.chunks.join("")];
    return this.chunks[0] ?? "";
  }

  /** Removes and returns the first `n` characters. */
  take(n: number): string {
    const all = this.text();
    const rest = all.slice(n);
    this.chunks = rest ? [rest] : [];
    this.length = rest.length;
    this.head = rest.slice(0, HEAD);
    this.tail = rest.slice(-LOOK_BACK);
    this.cutAt = Math.max(0, this.cutAt - n);
    return all.slice(0, n);
  }

  clear(): string {
    const all = this.text();
    this.chunks = [];
    this.length = 0;
    this.head = this.tail = "";
    this.cutAt = 0;
    return all;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160;
}

const HEAD = 1024;

export class Segmenter {
  private readonly line = new LineBuffer();
  /** Whether the line's start is still unreleased (then it may open a fence, or be a list item). */
  private fresh = true;
  /** What to do with the rest of the current line once it is known. */
  private mode: "undecided" | "prose" | "hold" = "undecided";
  private fence: { char: string; len: number; text: string; context: string } | null = null;
  private fenceSeen = false;
  /** Every complete line so far may be a list item or a requirement: the answer may be a bare list. */
  private listOpen = true;
  private list = "";
  /** The last complete lines (bounded), for the context of held pieces. */
  private recent: string[] = [];
  /** The released start of the current line, for context. */
  private releasedOfLine = "";

  push(text: string): Piece[] {
    const out: Piece[] = [];
    let from = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
      this.append(text.slice(from, nl + 1));
      this.completeLine(out);
      from = nl + 1;
    }
    if (from < text.length) {
      this.append(text.slice(from));
      if (!this.fence) this.partial(out, text.slice(from));
    }
    return merge(out);
  }

  /** End of the answer: whatever is left is released; held pieces still get checked. */
  end(): Piece[] {
    const out: Piece[] = [];
    if (this.fence) {
      out.push({ kind: "held", segment: "fence", text: this.fence.text + this.line.clear(), context: this.fence.context });
      this.fence = null;
    } else if (this.line.length) this.completeLine(out);
    if (this.list) {
      // Every line was a list item or a requirement: the answer is a bare list.
      out.push({ kind: "held", segment: "list", text: this.list, context: "" });
      this.list = "";
    }
    return merge(out);
  }

  private append(text: string): void {
    this.line.append(text);
  }

  private resetLine(): string {
    this.fresh = true;
    this.mode = "undecided";
    this.releasedOfLine = "";
    return this.line.clear();
  }

  private remember(line: string): void {
    this.recent.push(line.length > 500 ? line.slice(-500) : line);
    if (this.recent.length > CONTEXT_LINES) this.recent.shift();
  }

  private completeLine(out: Piece[]): void {
    const fresh = this.fresh;
    const released = this.releasedOfLine;
    const line = this.resetLine();
    const whole = released + line;
    const context = this.recent.join("");
    if (this.fence) {
      this.fence.text += line;
      const close = new RegExp(`^ {0,3}\\${this.fence.char}{${this.fence.len},}\\s*$`);
      if (close.test(line.replace(/\r?\n$/, ""))) {
        out.push({ kind: "held", segment: "fence", text: this.fence.text, context: this.fence.context });
        this.fence = null;
      }
      return;
    }
    const open = fresh ? FENCE_OPEN.exec(line) : null;
    if (open) {
      this.closeList(out);
      const marker = open[1]!;
      this.fenceSeen = true;
      // The prose line just before a fence may name it ("Create `requirements.txt`:"), as the extractor reads it.
      const caption = [...this.recent].reverse().find((l) => l.trim()) ?? "";
      this.fence = { char: marker[0]!, len: marker.length, text: line, context: caption };
      this.recent = [];
      return;
    }
    this.remember(whole);
    if (fresh && this.listOpen && this.mayBeListLine(line)) {
      this.list += line;
      return;
    }
    if (line.trim()) this.closeList(out);
    if (INSTALL_COMMAND.test(line)) out.push({ kind: "held", segment: "install", text: line, context });
    else if (!this.fenceSeen && ((fresh && CODE_START.test(line)) || CODE_ANYWHERE.test(line))) {
      out.push({ kind: "held", segment: "code", text: line, context: context + released });
    } else out.push({ kind: "prose", text: line });
  }

  /** The answer is not a bare list after all: what was held for that goes out as prose. */
  private closeList(out: Piece[]): void {
    this.listOpen = false;
    if (!this.list) return;
    out.push({ kind: "prose", text: this.list });
    this.list = "";
  }

  /** A partial line counts while some continuation could still make it a list item ("- ", "@types/"). */
  private mayBeListLine(line: string, partial = false): boolean {
    const t = line.trim();
    if (t === "") return partial || this.list !== "";
    const ok = (x: string) => lineItems(x) !== undefined || REQUIREMENT.test(x);
    return ok(t) || (partial && ok(`${line.trimStart()}x`));
  }

  /** Releases the safe prefix of an unfinished line, or decides to hold the rest of it. */
  private partial(out: Piece[], added: string): void {
    if (this.mode === "hold") return;
    const head = this.line.head;
    if (this.fresh && this.line.length < HEAD && MAYBE_FENCE.test(head)) return;
    // Only the new text is scanned, with a look-back for a word that straddles two chunks.
    const back = Math.min(LOOK_BACK, this.line.length - added.length);
    const scan = this.line.tail.slice(Math.max(0, this.line.tail.length - added.length - back));
    const offset = this.line.length - scan.length;
    const cmd = COMMAND_START.exec(scan);
    const code = this.fenceSeen ? null : CODE_ANYWHERE.exec(scan);
    const stopAt = Math.min(cmd ? offset + cmd.index + cmd[1]!.length : Infinity, code ? offset + code.index : Infinity);
    if (stopAt !== Infinity) {
      this.release(out, stopAt);
      this.mode = "hold";
      return;
    }
    if (this.fresh && this.mode === "undecided") {
      // Decided within the first HEAD characters, so a line costs no more than that to decide.
      if (this.line.length >= HEAD) return void (this.mode = this.listOpen || !this.fenceSeen ? "hold" : "prose");
      if (!this.fenceSeen) {
        if (CODE_START.test(head)) return void (this.mode = "hold");
        if (!FIRST_WORD.test(head)) return; // "fro" may still become "from x import y"
      }
      if (this.listOpen && this.mayBeListLine(head, true)) return;
      this.mode = "prose";
    }
    this.release(out, this.line.cutAt);
  }

  /** Releases the first `at` characters of the line as prose; a line that starts going out is not part of a bare list. */
  private release(out: Piece[], at: number): void {
    if (at <= 0) return;
    if (this.fresh) this.closeList(out);
    const text = this.line.take(at);
    out.push({ kind: "prose", text });
    this.releasedOfLine = (this.releasedOfLine + text).slice(-500);
    this.fresh = false;
  }
}

function merge(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (p.kind === "prose" && last?.kind === "prose") last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}
