/**
 * Documents the answer is made of, followed character by character as the model commits
 * them: markdown (prose, fenced blocks by language, requirements and package.json blocks),
 * code files, and JSON (tool calls, whose string arguments are documents of their own:
 * shell commands, argv arrays, file contents chosen by the file's path). A document says
 * when a name construct starts; the automaton (micro.ts) takes it from there.
 */
import { kindOfInfo } from "../../packages/extract/markdown.js";
import { decode, END, escLevel, NONE } from "./escape.js";
import { micro, type Micro } from "./micro.js";
import { importTrigger, installTrigger, type LineKind, type TriggerContext } from "./triggers.js";

export type DocContext = TriggerContext;

export interface Doc {
  /** A decoded character; `levels` are the JSON string levels around it; returns a construct to follow. */
  feed(c: number, levels: readonly number[], arm: boolean): Micro | undefined;
  /** Called when nothing is being followed: a construct that starts right here (a list line, a requirements line). */
  armHere(levels: readonly number[]): Micro | undefined;
  end(): void;
}

const NL = 10;
const LINE_MAX = 256;
const FENCE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/;
const JSON_INFO = /^(?:json|jsonc|json5|package\.json)$/i;

type TextKind = LineKind | "markdown" | "requirements";

function requirementsMicro(ctx: DocContext, esc: readonly number[]): Micro | undefined {
  if (!ctx.options.contexts.manifest) return undefined;
  return micro({ mode: "req", phase: "line", set: ctx.lists.requirements, cc: "pypi", esc });
}

/** Markdown (with fences) or a code file of one kind. */
export class TextDoc implements Doc {
  private line = "";
  private caption = "";
  private fence: { marker: string; kind: TextKind } | undefined;
  /** JSON being followed: a tool call written in prose, or the body of a json fence. */
  private json: JsonDoc | undefined;

  constructor(private readonly ctx: DocContext, private readonly kind: TextKind, private readonly list = false) {}

  private lineKind(): TextKind {
    if (this.kind !== "markdown") return this.kind;
    return this.fence ? this.fence.kind : "prose";
  }

  armHere(levels: readonly number[]): Micro | undefined {
    if (this.line !== "") return undefined;
    if (this.lineKind() === "requirements") return requirementsMicro(this.ctx, levels);
    if (this.list && !this.fence && this.ctx.options.contexts.list && this.ctx.ecosystem) {
      const eco = this.ctx.ecosystem;
      return micro({ mode: "list", phase: "line", set: this.ctx.lists.list[eco], cc: eco === "npm" ? "npm" : "pypi", esc: levels });
    }
    return undefined;
  }

  feed(c: number, levels: readonly number[], arm: boolean): Micro | undefined {
    let armed: Micro | undefined;
    if (this.json) {
      armed = this.json.feed(c, levels, arm);
      if (this.json.done) this.json = undefined;
    }
    if (c === NL) {
      this.endLine();
      return armed ?? (arm ? this.armHere(levels) : undefined);
    }
    if (this.line.length < LINE_MAX) this.line += String.fromCharCode(c);
    if (!this.json && this.kind === "markdown" && !this.fence && (c === 123 || c === 91) && /^\s*(?:<tool_call>|\[TOOL_CALLS\])?\s*.$/.test(this.line)) {
      this.json = new JsonDoc(this.ctx);
      armed = this.json.feed(c, levels, arm) ?? armed;
      return armed;
    }
    if (armed || !arm || this.json) return armed;
    const kind = this.lineKind();
    if (kind === "requirements" || kind === "markdown") return undefined;
    return installTrigger(this.line, this.ctx, levels) ?? importTrigger(this.line, kind, this.ctx, levels);
  }

  private endLine(): void {
    const line = this.line;
    this.line = "";
    if (this.kind !== "markdown") return;
    if (this.fence) {
      if (line.trim().startsWith(this.fence.marker)) {
        this.fence = undefined;
        this.json = undefined;
      }
      return;
    }
    const m = FENCE.exec(line);
    if (!m) {
      if (line.trim()) this.caption = line;
      return;
    }
    const info = m[2] ?? "";
    const block = kindOfInfo(info, [], this.caption);
    const json = JSON_INFO.test(info) || (!info && /package\.json/i.test(this.caption));
    const kind: TextKind = block === "python" || block === "javascript" || block === "shell" ? block : block === "requirements" ? "requirements" : "code";
    this.fence = { marker: m[1]!, kind };
    if (json) this.json = new JsonDoc(this.ctx);
  }

  end(): void {
    this.json?.end();
  }
}

const COMMAND_KEYS = new Set(["command", "cmd", "commands", "script", "shell", "bash", "args", "argv"]);
const CONTENT_KEYS = new Set(["content", "contents", "file_text", "new_string", "new_str", "newText", "new_text", "text", "code", "patch", "input", "diff", "replacement", "source"]);
const PATH_KEYS = ["path", "file_path", "filePath", "filename", "file", "absolute_path", "target_file", "TargetFile", "relative_workspace_path", "target"];
const ARGUMENT_KEYS = new Set(["arguments", "parameters"]);
const PLAIN_KEYS = new Set(["name", "id", "type", "tool", "call_id", "description", ...PATH_KEYS]);
const DEP_SECTIONS = new Set(["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]);

interface Container {
  array: boolean;
  /** Key of the value being read (objects), or of this array in its parent. */
  key: string;
  expectKey: boolean;
  /** String values seen in this object, for the file path of a `content`. */
  strings: Map<string, string>;
  /** One shell document for a whole argv array. */
  argv: Doc | undefined;
}

/** Which document a string value is, from its key and the path beside it. */
function docFor(ctx: DocContext, key: string, siblings: Map<string, string>): Doc | undefined {
  if (PLAIN_KEYS.has(key)) return undefined;
  if (ARGUMENT_KEYS.has(key)) return new JsonDoc(ctx);
  if (COMMAND_KEYS.has(key)) return new TextDoc(ctx, "shell");
  if (!CONTENT_KEYS.has(key)) return new TextDoc(ctx, "markdown");
  const path = PATH_KEYS.map((k) => siblings.get(k)).find((p) => p !== undefined) ?? "";
  if (/(?:^|[/\\])(?:requirements|constraints)[\w.-]*\.(?:txt|in)$/i.test(path)) return new TextDoc(ctx, "requirements");
  if (/(?:^|[/\\])package\.json$/i.test(path)) return new JsonDoc(ctx);
  if (/\.pyi?$/i.test(path)) return new TextDoc(ctx, "python");
  if (/\.[cm]?[jt]sx?$/i.test(path)) return new TextDoc(ctx, "javascript");
  if (/\.(?:sh|bash|zsh)$|(?:^|[/\\])(?:Dockerfile|Makefile)$/i.test(path)) return new TextDoc(ctx, "shell");
  return new TextDoc(ctx, "markdown");
}

/** JSON: a tool call, its arguments, or a package.json (its dependency objects). */
export class JsonDoc implements Doc {
  done = false;
  private readonly stack: Container[] = [];
  private str: { key: boolean; buf: string; level: number; child: Doc | undefined } | undefined;

  constructor(private readonly ctx: DocContext) {}

  armHere(): Micro | undefined {
    return undefined;
  }

  feed(c: number, levels: readonly number[], arm: boolean): Micro | undefined {
    if (this.done) return undefined;
    if (this.str) return this.feedString(c, levels, arm);
    const top = this.stack.at(-1);
    switch (c) {
      case 34:
        return this.openString(top, levels, arm);
      case 123:
      case 91:
        return this.open(c === 91, top, levels);
      case 125:
      case 93:
        this.close();
        return undefined;
      case 58:
        if (top && !top.array) top.expectKey = false;
        return undefined;
      case 44:
        if (top && !top.array) top.expectKey = true;
        return arm ? this.dependencyKey(levels) : undefined;
      default:
        return undefined;
    }
  }

  private open(array: boolean, parent: Container | undefined, levels: readonly number[]): Micro | undefined {
    const key = parent?.key ?? "";
    const argv = array && COMMAND_KEYS.has(key) ? new TextDoc(this.ctx, "shell") : undefined;
    this.stack.push({ array, key, expectKey: !array, strings: new Map(), argv });
    return this.dependencyKey(levels);
  }

  /**
   * A key is next inside a package.json's dependency object (just opened, or after a comma when
   * nothing is being followed: an earlier entry was a private package the lists do not have, and
   * the automaton let go): it is a package name, so follow it.
   */
  private dependencyKey(levels: readonly number[]): Micro | undefined {
    const section = this.stack[0]?.key ?? "";
    if (this.stack.length !== 2 || this.stack[1]!.array || !DEP_SECTIONS.has(section) || !this.ctx.options.contexts.manifest) return undefined;
    return micro({ mode: "pkgjson", phase: "key", set: this.ctx.lists.packageJson, cc: "npm", esc: levels });
  }

  private close(): void {
    const top = this.stack.pop();
    top?.argv?.end();
    if (this.stack.length === 0) this.done = true;
  }

  private openString(top: Container | undefined, levels: readonly number[], arm: boolean): Micro | undefined {
    const key = !!top && !top.array && top.expectKey;
    let child: Doc | undefined;
    if (top?.argv) child = top.argv;
    else if (!key && top) child = docFor(this.ctx, top.key, top.strings);
    this.str = { key, buf: "", level: escLevel(), child };
    return arm && child ? child.armHere([...levels, this.microLevel()]) : undefined;
  }

  /** The level the automaton uses inside this string: argv elements read as words of one line. */
  private microLevel(): number {
    return this.str!.level | (this.stack.at(-1)?.argv ? escLevel(true) : 0);
  }

  private feedString(c: number, levels: readonly number[], arm: boolean): Micro | undefined {
    const s = this.str!;
    const d = decode([s.level], c);
    s.level = d.levels[0]!;
    if (d.out === NONE) return undefined;
    if (d.out === END) return this.closeString(levels, arm);
    if (s.buf.length < 512) s.buf += String.fromCharCode(d.out);
    return s.child?.feed(d.out, [...levels, this.microLevel()], arm);
  }

  private closeString(levels: readonly number[], arm: boolean): Micro | undefined {
    const s = this.str!;
    this.str = undefined;
    const top = this.stack.at(-1);
    if (!top) {
      this.done = true;
      return undefined;
    }
    if (s.key) {
      top.key = s.buf;
      return undefined;
    }
    if (!top.array) top.strings.set(top.key, s.buf);
    // An argv element ends a word; the automaton's argv level now waits for the next element.
    if (top.argv) return top.argv.feed(32, [...levels, escLevel(true) | 6], arm);
    s.child?.end();
    return undefined;
  }

  end(): void {
    this.str?.child?.end();
    for (const c of this.stack) c.argv?.end();
  }
}
