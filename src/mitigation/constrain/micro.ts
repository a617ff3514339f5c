/**
 * The name automaton: from a point where a package name may start (after `pip install`,
 * `import`, `require("`, in a list answer, a requirements line, a package.json
 * dependencies object), it reads characters and says whether the text is still fine.
 * Inside a name every character must keep the prefix inside a name list, and a name may
 * only end at a complete name. Outside names it follows just enough syntax (flags,
 * versions, quotes, commas, new lines) to know where the next name starts and where the
 * construct ends, after which it is done (`FREE`) and decoding is left alone.
 *
 * States are immutable plain objects: the decoder simulates every vocabulary token from
 * the same state. A state outside a name has a short key, so what is allowed from it is
 * computed once per model and reused (see src/providers/local/constrain/engine.ts).
 */
import { decode, END, NONE } from "./escape.js";
import { endRole, startAll, stepAll, type MatcherSet, type Positions, type Role } from "./matchers.js";
import { modeStep, nameCharOf, terminate } from "./modes.js";

export type Mode = "install" | "pyimport" | "jsspec" | "list" | "req" | "pkgjson";

/**
 * install: multi (pip install a b), single (npx a …), create (npm create a → create-a), deno (npm:a);
 * pyimport: import | from | dyn (`importlib.import_module("a")`); the others: "".
 */
export type CharClass = "pypi" | "npm" | "ident";

export type Kind = "multi" | "single" | "create" | "deno" | "import" | "from" | "dyn" | "";

export interface Micro {
  /** JSON string levels the text is inside of (escape.ts); empty in plain text. */
  readonly esc: readonly number[];
  readonly mode: Mode;
  readonly kind: Kind;
  readonly phase: string;
  readonly set: MatcherSet;
  /** Which characters make up a name here: PyPI names, npm names, or Python identifiers. */
  readonly cc: CharClass;
  /** Open quote around the current word or name ("" for none). */
  readonly q: string;
  /** Scratch text of the phase: a flag being read, bullet digits, a `npm:` prefix. */
  readonly word: string;
  /** Inside a name: each matcher's position; null outside a name. */
  readonly pos: Positions | null;
  /** npm names: 1 = scoped (`@`), 2 = its `/` seen. */
  readonly nf: number;
}

/** The construct is over: the rest is not constrained. */
export const FREE = "free" as const;
export type StepResult = Micro | typeof FREE | null;

export function micro(args: { mode: Mode; kind?: Kind; phase: string; set: MatcherSet; cc: CharClass; esc?: readonly number[] }): Micro {
  return { esc: args.esc ?? [], mode: args.mode, kind: args.kind ?? "", phase: args.phase, set: args.set, cc: args.cc, q: "", word: "", pos: null, nf: 0 };
}

/** One raw character (through the JSON string levels, if any); null when it breaks a name. */
export function step(m: Micro, code: number): StepResult {
  let c = code;
  let state = m;
  if (m.esc.length) {
    const d = decode(m.esc, code);
    if (d.out === END) return acceptsEnd(m) ? FREE : null;
    state = { ...m, esc: d.levels };
    if (d.out === NONE) return state;
    c = d.out;
  }
  return stepChar(state, c);
}

/** One decoded character. */
export function stepChar(m: Micro, c: number): StepResult {
  if (m.pos) return nameCharOf(m, c) ? extendName(m, c) : terminate(m, c);
  return modeStep(m, c);
}

export function stepText(m: Micro, text: string): StepResult {
  let s: StepResult = m;
  for (let i = 0; i < text.length; i++) {
    s = step(s, text.charCodeAt(i));
    if (s === null || s === FREE) return s;
  }
  return s;
}

/** The text may end here (end of generation, or the string holding it closes). */
export function acceptsEnd(m: Micro): boolean {
  return !m.pos || endRole(m.set, m.pos) !== undefined;
}

/** Role of the name that ends here (undefined: it may not end here). */
export function roleHere(m: Micro): Role | undefined {
  return m.pos ? endRole(m.set, m.pos) : undefined;
}

/** Starts a name with its first character (and an implied prefix, e.g. `create-` or a bullet's digits). */
export function enterName(m: Micro, c: number, extra: { q?: string; prefix?: string; typed?: string } = {}): StepResult {
  let pos = startAll(m.set, extra.prefix ?? "");
  for (const ch of extra.typed ?? "") pos = pos && stepAll(m.set, pos, ch.charCodeAt(0));
  pos = pos && stepAll(m.set, pos, c);
  if (!pos) return null;
  return { ...m, pos, q: extra.q ?? m.q, word: "", nf: c === 64 ? 1 : 0 };
}

function extendName(m: Micro, c: number): StepResult {
  const pos = stepAll(m.set, m.pos!, c);
  if (!pos) return null;
  const nf = c === 47 && m.nf === 1 ? 3 : m.nf;
  return { ...m, pos, nf };
}

/** Key of a state outside a name (what is allowed from it depends on nothing else); undefined inside one. */
export function stateKey(m: Micro): string | undefined {
  if (m.pos) return undefined;
  return `${m.esc.join(".")}|${m.mode}|${m.kind}|${m.phase}|${m.set.id}|${m.q}|${m.word}`;
}
