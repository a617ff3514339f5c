/**
 * Per-construct syntax of the name automaton (micro.ts): where names start, what ends
 * one, and where the construct is over. It mirrors what the extractor in
 * src/packages/extract reads as a package, so that every name the decoder lets through
 * is one the checker will find, and text the checker ignores is left alone.
 */
import { VALUE_FLAGS } from "../../packages/extract/managers.js";
import { wholeName } from "./matchers.js";
import { enterName, FREE, roleHere, stepChar, type Micro, type StepResult } from "./micro.js";

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const DQ = 34;
const SQ = 39;
const BT = 96;

const isWs = (c: number) => c === SPACE || c === TAB;
const isNl = (c: number) => c === LF || c === CR;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isAlnum = (c: number) => isDigit(c) || isAlpha(c);
const isQuote = (c: number) => c === DQ || c === SQ;
const ch = (c: number) => String.fromCharCode(c);

export function nameCharOf(m: Micro, c: number): boolean {
  if (isAlnum(c) || c === 95) return true;
  if (m.cc === "ident") return false;
  if (c === 45 || c === 46) return true;
  if (m.cc === "pypi") return false;
  return c === 126 || (c === 47 && m.nf === 1);
}

function startsName(m: Micro, c: number): boolean {
  if (m.cc === "ident") return isAlpha(c) || c === 95;
  return isAlnum(c) || (m.cc === "npm" && c === 64);
}

const to = (m: Micro, phase: string, extra: Partial<Micro> = {}): Micro => ({ ...m, phase, ...extra });

/** A character that is not part of the name: may the name end here, and where does the text go on? */
export function terminate(m: Micro, c: number): StepResult {
  const role = roleHere(m);
  const soft = softEnd(m, c, role);
  if (!soft && role !== "name" && role !== "stop") return null;
  if (role === "stop" && !soft) return FREE;
  const base: Micro = { ...m, pos: null, nf: 0 };
  // "pip install numpy." ends a sentence: the extractor reads `numpy` and stops there.
  if (!soft && role === "name" && !wholeName(m.set, m.pos!)) return m.mode === "list" ? to(base, "gloss") : m.mode === "install" ? FREE : base;
  switch (m.mode) {
    case "install":
      return soft ? to(base, m.q ? "wordq" : "word") : afterInstallName(base, c);
    case "list":
      return listAfterName(base, c);
    case "req":
      return to(base, isNl(c) ? "line" : "freeline");
    case "pyimport":
      return importAfterName(base, c);
    case "jsspec":
      return FREE;
    case "pkgjson":
      return c === DQ ? to(base, "afterkey") : null;
  }
}

/**
 * Characters after which the word is not a package at all, so it may end there without being
 * a whole name: URLs after a scheme (`git+https:`, `https:`, `node:fs`), local paths in pip
 * lines and requirements (`dir/`), template strings in JS specifiers. Anything else ends a
 * name only at a whole name, so a made-up name cannot escape into garbage.
 */
function softEnd(m: Micro, c: number, role: string | undefined): boolean {
  if ((c === 58 || c === 43) && role === "scheme") return true;
  switch (m.mode) {
    case "install":
    case "req":
      return c === 47 && m.cc === "pypi";
    case "jsspec":
      return c === 36 || c === 123;
    default:
      return false;
  }
}

function afterInstallName(m: Micro, c: number): StepResult {
  if (m.kind === "single" || m.kind === "create") return FREE;
  if (m.q && ch(c) === m.q) return to(m, "afterq", { q: "" });
  if (isWs(c)) return to(m, "arm");
  // Versions, extras and markers (`x==1`, `x[socks]`, `x@^2`) run to the end of the word.
  if ("=<>~![@^".includes(ch(c)) || isQuote(c)) return to(m, m.q ? "specq" : "spec");
  // `,` `;` `:` `)` and the like end the command, as the extractor reads prose.
  return FREE;
}

function listAfterName(m: Micro, c: number): StepResult {
  if (c === 44 || c === 59) return to(m, "arm");
  if (isNl(c)) return to(m, "line");
  if (isWs(c) || c === BT || c === 42 || isQuote(c)) return to(m, "after");
  return to(m, "gloss");
}

function importAfterName(m: Micro, c: number): StepResult {
  if (m.kind !== "import") return FREE;
  if (c === 46) return to(m, "sub");
  if (isWs(c)) return to(m, "after");
  if (c === 44) return to(m, "arm");
  if (c === 92) return to(m, "cont");
  return FREE;
}

export function modeStep(m: Micro, c: number): StepResult {
  switch (m.mode) {
    case "install":
      return installStep(m, c);
    case "pyimport":
      return importStep(m, c);
    case "jsspec":
      return jsStep(m, c);
    case "list":
      return listStep(m, c);
    case "req":
      return reqStep(m, c);
    case "pkgjson":
      return packageJsonStep(m, c);
  }
}

/** Characters that end an install command written on one line. */
const COMMAND_END = new Set([...`#&|;\`)<>[{`].map((s) => s.charCodeAt(0)));

function installStep(m: Micro, c: number): StepResult {
  switch (m.phase) {
    case "arm0":
      return isWs(c) ? to(m, "arm") : FREE;
    case "arm":
      return installArm(m, c);
    case "armq":
      if (ch(c) === m.q) return to(m, "afterq", { q: "" });
      return startsName(m, c) && m.kind !== "deno" ? nameOrCreate(m, c) : to(m, "wordq");
    case "flag":
      if (isNl(c)) return FREE;
      if (!isWs(c)) return to(m, "flag", { word: m.word.length < 40 ? m.word + ch(c) : m.word });
      return to(m, VALUE_FLAGS.has(m.word) ? "value" : "arm", { word: "" });
    case "deno":
      return denoStep(m, c);
    case "denoname":
      return isAlnum(c) || c === 64 ? enterName(m, c) : to(m, "word");
    case "cont":
      return isNl(c) ? to(m, "arm") : to(m, "word");
    case "wordq":
    case "specq":
      return ch(c) === m.q ? to(m, "afterq", { q: "" }) : m;
    case "afterq":
      if (isNl(c)) return FREE;
      return isWs(c) ? to(m, "arm") : to(m, "word");
    default: // word, value, spec: the rest of a word that is not a name
      if (isNl(c)) return FREE;
      return isWs(c) ? to(m, "arm") : m;
  }
}

function installArm(m: Micro, c: number): StepResult {
  if (isWs(c)) return m;
  if (isNl(c) || COMMAND_END.has(c)) return FREE;
  if (c === 92) return to(m, "cont");
  if (c === 45) return to(m, "flag", { word: "-" });
  if (isQuote(c)) return to(m, "armq", { q: ch(c) });
  if (m.kind === "deno") return c === 110 ? to(m, "deno", { word: "n" }) : to(m, "word");
  if (startsName(m, c)) return nameOrCreate(m, c);
  return to(m, "word");
}

function nameOrCreate(m: Micro, c: number): StepResult {
  // `npm create @scope/x` runs `@scope/create-x`: not worth a second list; left open.
  if (m.kind === "create") return c === 64 ? to(m, "word") : enterName(m, c, { prefix: "create-" });
  return enterName(m, c);
}

/** Deno installs npm packages as `npm:name`; `jsr:` and URLs are other registries. */
function denoStep(m: Micro, c: number): StepResult {
  const word = m.word + ch(c);
  if (word === "npm:") return to(m, "denoname", { word: "" });
  if ("npm:".startsWith(word)) return to(m, "deno", { word });
  return isWs(c) ? to(m, "arm", { word: "" }) : to(m, "word", { word: "" });
}

function importStep(m: Micro, c: number): StepResult {
  switch (m.phase) {
    case "arm0":
      if (m.kind === "dyn") return isWs(c) ? m : isQuote(c) ? to(m, "armq", { q: ch(c) }) : FREE;
      return isWs(c) ? to(m, "arm") : FREE;
    case "armq":
      return startsName(m, c) ? enterName(m, c) : FREE;
    case "arm":
      if (isWs(c)) return m;
      if (c === 92) return to(m, "cont");
      return startsName(m, c) ? enterName(m, c) : FREE;
    case "cont":
      return isNl(c) ? to(m, "arm") : FREE;
    case "sub":
      if (isAlnum(c) || c === 95 || c === 46) return m;
      return importAfterName(m, c === 46 ? SPACE : c);
    case "after":
    case "alias":
      if (isWs(c)) return to(m, "after");
      if (c === 44) return to(m, "arm");
      if (c === 92) return to(m, "cont");
      return isAlnum(c) || c === 95 ? to(m, "alias") : FREE;
    default:
      return FREE;
  }
}

function jsStep(m: Micro, c: number): StepResult {
  if (m.phase === "arm0") {
    if (isWs(c) || c === 40) return m;
    return isQuote(c) || c === BT ? to(m, "armq", { q: ch(c) }) : FREE;
  }
  if (m.phase === "scope") {
    // `@/x` is a path alias and a lone `@` nothing: not packages.
    if (c === 47 || ch(c) === m.q) return FREE;
    const scoped = enterName(m, 64);
    return scoped && scoped !== FREE ? stepChar(scoped, c) : scoped;
  }
  if (c === 64) return to(m, "scope");
  // `./x`, `/x`, `~/x`, `#x` are files and import maps.
  return startsName(m, c) ? enterName(m, c) : FREE;
}

function listStep(m: Micro, c: number): StepResult {
  switch (m.phase) {
    case "line":
      if (isWs(c) || isNl(c)) return m;
      if (c === 45 || c === 42 || c === 43 || c === 0x2022) return to(m, "bullet");
      if (isDigit(c)) return to(m, "num", { word: ch(c) });
      if (c === BT) return to(m, "ticks", { word: "`" });
      return listArm(m, c);
    case "ticks":
      // "```" opens a code block: not list items (the block's own constructs take over); "`numpy`" is an item.
      if (c === BT) return m.word === "``" ? FREE : to(m, "ticks", { word: m.word + "`" });
      return listArm(to(m, "arm", { word: "" }), c);
    case "bullet":
      if (isWs(c) || c === 42) return to(m, "arm");
      return startsName(m, c) ? enterName(m, c) : to(m, "gloss");
    case "num":
      if (isDigit(c)) return to(m, "num", { word: m.word.length < 8 ? m.word + ch(c) : m.word });
      if (c === 46 || c === 41) return to(m, "numdot");
      // A name that starts with digits (`3to2`).
      return startsName(m, c) ? enterName(m, c, { typed: m.word }) : to(m, "gloss", { word: "" });
    case "numdot":
      return isWs(c) ? to(m, "arm", { word: "" }) : to(m, "gloss", { word: "" });
    case "arm":
      if (isNl(c)) return to(m, "line");
      return listArm(m, c);
    case "after":
      if (c === 44 || c === 59) return to(m, "arm");
      if (isNl(c)) return to(m, "line");
      return isWs(c) || c === BT || c === 42 || isQuote(c) ? m : to(m, "gloss");
    default: // gloss: "numpy: arrays"; a comma or semicolon starts the next item, as the eval's list reader splits
      if (c === 44 || c === 59) return to(m, "arm");
      return isNl(c) ? to(m, "line") : m;
  }
}

function listArm(m: Micro, c: number): StepResult {
  if (isWs(c) || c === BT || c === 42 || isQuote(c)) return to(m, "arm");
  return startsName(m, c) ? enterName(m, c) : to(m, "gloss");
}

function reqStep(m: Micro, c: number): StepResult {
  if (m.phase === "line") {
    if (isWs(c) || isNl(c)) return m;
    // A fence closing the block ends the file.
    if (c === BT || c === 126) return FREE;
    return startsName(m, c) ? enterName(m, c) : to(m, "freeline");
  }
  return isNl(c) ? to(m, "line") : m;
}

/** Inside a package.json dependencies object: every key is a package name. */
function packageJsonStep(m: Micro, c: number): StepResult {
  switch (m.phase) {
    case "key":
      if (isWs(c) || isNl(c) || c === 44) return m;
      if (c === DQ) return to(m, "keyopen");
      return FREE; // `}` (the object ends), a comment, or something unexpected
    case "keyopen":
      if (c === DQ) return to(m, "afterkey");
      return startsName(m, c) ? enterName(m, c, { q: '"' }) : null;
    case "afterkey":
      if (isWs(c)) return m;
      return c === 58 ? to(m, "value") : FREE;
    case "value":
      if (isWs(c) || isNl(c)) return m;
      return c === DQ ? to(m, "instring") : FREE;
    case "instring":
      if (c === 92) return to(m, "escape");
      return c === DQ ? to(m, "aftervalue") : m;
    case "escape":
      return to(m, "instring");
    default: // aftervalue
      if (isWs(c) || isNl(c)) return m;
      return c === 44 ? to(m, "key") : FREE;
  }
}
