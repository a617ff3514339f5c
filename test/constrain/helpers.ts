/**
 * Shared parts of the constrained-decoding tests: the real snapshot's name lists and a
 * walker that says where (if anywhere) the name automaton would stop a given text.
 */
import type { ConstrainRequest } from "../../src/core/parts.js";
import { ConstrainOptionsSchema, decodeRequest, type ConstrainOptions } from "../../src/mitigation/constrain/config.js";
import { step } from "../../src/mitigation/constrain/micro.js";
import { nameListsFor, type NameLists } from "../../src/mitigation/constrain/names.js";
import { Tracker } from "../../src/mitigation/constrain/tracker.js";
import { defaultSnapshot } from "../../src/packages/snapshot.js";

export function lists(options: Partial<ConstrainOptions> = {}): NameLists {
  return nameListsFor(defaultSnapshot(), ConstrainOptionsSchema.parse(options));
}

/** The request the constrain mitigation would put on a call, with the configured options' defaults. */
export function request(args: { options?: Partial<ConstrainOptions>; ecosystem?: "pypi" | "npm"; list?: boolean } = {}): ConstrainRequest {
  return decodeRequest(ConstrainOptionsSchema.parse(args.options ?? {}), { ecosystem: args.ecosystem, list: !!args.list });
}

export interface WalkOptions {
  ecosystem?: "pypi" | "npm";
  list?: boolean;
  options?: Record<string, unknown>;
}

export function tracker(opts: WalkOptions = {}): Tracker {
  const options = ConstrainOptionsSchema.parse(opts.options ?? {});
  return new Tracker({ lists: nameListsFor(defaultSnapshot(), options), options, ecosystem: opts.ecosystem, expectList: !!opts.list });
}

/**
 * Feeds `text` one character at a time; returns where the automaton would refuse the next
 * character (with the text before it), or the names it followed when it refuses nothing.
 */
export function walk(text: string, opts: WalkOptions = {}): { blocked: string } | { names: string[] } {
  const tr = tracker(opts);
  for (let i = 0; i < text.length; i++) {
    const m = tr.current();
    if (m && step(m, text.charCodeAt(i)) === null) return { blocked: text.slice(0, i + 1) };
    tr.feed(text[i]!);
  }
  tr.end();
  return { names: tr.stats.names };
}

/** The prefix of `text` up to and including the character the automaton refuses, or "" when it refuses none. */
export function blockedAt(text: string, opts: WalkOptions = {}): string {
  const r = walk(text, opts);
  return "blocked" in r ? r.blocked : "";
}

export function namesOf(text: string, opts: WalkOptions = {}): string[] {
  const r = walk(text, opts);
  if ("blocked" in r) throw new Error(`blocked at ${JSON.stringify(r.blocked.slice(-40))}`);
  return r.names;
}
