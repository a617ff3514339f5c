/**
 * Follows an answer as the model commits it and knows, before each token, which name
 * construct (if any) the next characters are in. The decoder asks `current()` for the state
 * to constrain from, and feeds every committed token's text back with `feed()`.
 */
import type { Ecosystem } from "../../packages/types.js";
import { localModules } from "../../packages/extract/python.js";
import type { DecodeOptions } from "./config.js";
import { JsonDoc, TextDoc, type Doc } from "./docs.js";
import { FREE, roleHere, step, type Micro } from "./micro.js";
import type { NameLists } from "./names.js";

const TEXT_MAX = 200_000;
const NAMES_MAX = 64;

export interface TrackerOptions {
  lists: NameLists;
  options: Pick<DecodeOptions, "contexts" | "conda">;
  ecosystem: Ecosystem | undefined;
  /** The prompt asked for a bare list of packages: the whole answer is one. */
  expectList: boolean;
  /** The text is a code file of this language rather than Markdown (a text completion). */
  document?: "python" | "javascript" | "requirements" | "package_json";
}

export interface TrackerStats {
  /** Names written inside constrained constructs, as written. */
  names: string[];
  /** Committed text that broke a name anyway (it came while nothing constrained it, e.g. after a give-up). */
  leaks: number;
  /** The answer stopped inside a name that was not yet whole (max_tokens, a stop sequence, a client abort). */
  cut: number;
}

export class Tracker {
  private readonly root: Doc;
  private active: Micro | undefined;
  private text = "";
  private name = "";
  readonly stats: TrackerStats = { names: [], leaks: 0, cut: 0 };

  constructor(options: TrackerOptions) {
    let locals: { at: number; names: string[] } = { at: -1, names: [] };
    const ctx = {
      lists: options.lists,
      options: options.options,
      ecosystem: options.ecosystem,
      // Modules the answer itself defines (`utils.py`) are open; recomputed only when the text grew.
      locals: () => {
        if (locals.at !== this.text.length) locals = { at: this.text.length, names: [...localModules(this.text)] };
        return locals.names;
      },
    };
    // A package.json is JSON from its first character: its dependency objects are what is constrained.
    this.root = options.document === "package_json" ? new JsonDoc(ctx) : new TextDoc(ctx, options.document ?? "markdown", options.expectList);
    this.active = this.root.armHere([]);
  }

  /** The construct the next character is in, or undefined when decoding is free. */
  current(): Micro | undefined {
    return this.active;
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) this.feedChar(text.charCodeAt(i));
  }

  /** The answer ended: closes open documents. */
  end(): void {
    this.root.end();
    if (this.active?.pos) {
      const role = roleHere(this.active);
      if (role === undefined) this.stats.cut++;
      this.finishName(role === "name");
    }
  }

  private feedChar(c: number): void {
    const before = this.active;
    if (before) {
      const next = step(before, c);
      const inName = next && next !== FREE && next.pos;
      // A scoped JS specifier's `@` was read before the name started.
      if (inName && !before.pos && next.nf === 1 && c !== 64) this.name = "@";
      if (inName && this.name.length < 256) this.name += String.fromCharCode(c);
      if (next === null) this.stats.leaks++;
      this.active = next === null || next === FREE ? undefined : next;
      // Stop words, URL schemes (`node:`) and paths are not names.
      if (before.pos && !this.active?.pos) this.finishName(roleHere(before) === "name" && c !== 58);
    }
    if (this.text.length < TEXT_MAX) this.text += String.fromCharCode(c);
    // Between items of a list answer an install command may still start ("pip install x"): it takes over the line.
    const canArm = !this.active || (this.active.mode === "list" && !this.active.pos);
    const armed = this.root.feed(c, [], canArm);
    if (canArm && armed) this.active = armed;
  }

  private finishName(keep = true): void {
    const name = this.name.replace(/[^A-Za-z0-9]+$/, "");
    this.name = "";
    if (keep && name && this.stats.names.length < NAMES_MAX) this.stats.names.push(name);
  }
}
