/**
 * JSON string layers. A tool call's arguments are JSON: `{"command": "pip install x"}`, and
 * with OpenAI-style string arguments even JSON inside a JSON string. The decoder sees raw
 * model text, so each string level it is inside of decodes escapes (`\n`, `\"`, `\u0041`)
 * before the name automaton sees a character. One number per level, outermost first.
 *
 * A level of an argv array (`["pip", "install", "x"]`) turns the end of an element into a
 * word break and waits for the next element, so the array reads as one command line.
 */

/** Bits 0–2: phase; bit 3: argv level; bits 4+: the \u code read so far. */
const PHASE = 7;
const ARGV = 8;
const NORMAL = 0;
const BACKSLASH = 1;
/** 2..5: after `\u`, with 0..3 hex digits read. */
const HEX0 = 2;
const BETWEEN = 6;

export const NONE = -1;
/** The innermost string (or argv array) ended: the document the automaton reads is over. */
export const END = -2;

export function escLevel(argv = false): number {
  return argv ? ARGV : NORMAL;
}

const SIMPLE: Record<number, number> = { 110: 10, 116: 9, 114: 13, 98: 8, 102: 12 }; // n t r b f

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** One level: the new level state and what it emits (a char code, NONE or END). */
function decodeOne(level: number, c: number): [number, number] {
  const phase = level & PHASE;
  const argv = level & ARGV;
  if (phase === NORMAL) {
    if (c === 92) return [argv | BACKSLASH, NONE];
    if (c === 34) return argv ? [argv | BETWEEN, 32] : [level, END];
    return [level, c];
  }
  if (phase === BACKSLASH) {
    if (c === 117) return [argv | HEX0, NONE];
    return [argv, SIMPLE[c] ?? c];
  }
  if (phase === BETWEEN) {
    if (c === 34) return [argv, NONE];
    if (c === 93) return [level, END];
    return [level, NONE];
  }
  const h = hexValue(c);
  // Not valid JSON; read the character as written rather than guess.
  if (h < 0) return [argv, c];
  const acc = ((level >> 4) << 4) | h;
  if (phase === HEX0 + 3) return [argv, acc];
  return [(acc << 4) | argv | (phase + 1), NONE];
}

/** Raw char through every level: the new levels and the char the innermost one emits. */
export function decode(levels: readonly number[], c: number): { levels: readonly number[]; out: number } {
  if (levels.length === 0) return { levels, out: c };
  const next = levels.slice();
  let out = c;
  for (let i = 0; i < next.length; i++) {
    const [level, emitted] = decodeOne(next[i]!, out);
    next[i] = level;
    if (emitted === END) return { levels: next, out: END };
    if (emitted === NONE) return { levels: next, out: NONE };
    out = emitted;
  }
  return { levels: next, out };
}
