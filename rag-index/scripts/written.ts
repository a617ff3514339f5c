/**
 * Tasks written for packages (document expansion by hand: "How do I read the text in a scanned
 * image?" for pytesseract), checked before they become the `<ecosystem>-uses.tsv.gz` side file:
 * - each line names a package of the selection, then " | "-separated tasks;
 * - a task is one plain sentence of 4 to 30 words, at most 3 per package;
 * - a task that says what a benchmark prompt says (the task set, dev and test, and the old labelled
 *   set) is dropped, so that the figures measure prompts the index has not seen. "Says what" is
 *   make_task_set.py's rule for the dev supplement: content words with Jaccard ≥ 0.5, or ≥ 0.25 when
 *   the prompt's answers hold the package.
 */
import { TASK_SEPARATOR } from "../../src/rag/selection.js";

const MAX_TASKS = 3;
const MIN_WORDS = 4;
const MAX_WORDS = 30;

const STOP = new Set(
  ("a an the and or of to for in on with from by into as at is are be it its that this how do i can my me we our " +
    "you your what which using use python javascript node nodejs js typescript code generate write function script program").split(" "),
);

/** Content words, crudely stemmed: the same as make_task_set.py's `content_words`. */
export function contentWords(text: string): Set<string> {
  const stem = (w: string): string => {
    for (const suf of ["ations", "ation", "ings", "ing", "ers", "er", "ed", "es", "s"]) {
      if (w.endsWith(suf) && w.length - suf.length >= 3) return w.slice(0, -suf.length);
    }
    return w;
  };
  return new Set((text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOP.has(w)).map(stem));
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let both = 0;
  for (const x of a) if (b.has(x)) both += 1;
  return both / Math.max(1, a.size + b.size - both);
}

export interface HeldOutPrompt {
  words: Set<string>;
  /** Its good answers, lower-case. */
  answers: Set<string>;
}

export function heldOut(prompt: string, answers: readonly string[]): HeldOutPrompt {
  return { words: contentWords(prompt), answers: new Set(answers.map((a) => a.toLowerCase())) };
}

/** Whether a task written for `pkg` says what one of the held-out prompts says. */
export function saysHeldOut(task: string, pkg: string, prompts: readonly HeldOutPrompt[]): boolean {
  const words = contentWords(task);
  const name = pkg.toLowerCase();
  return prompts.some((p) => {
    const j = jaccard(words, p.words);
    return j >= 0.5 || (j >= 0.25 && p.answers.has(name));
  });
}

export interface WrittenStats {
  lines: number;
  unknownPackage: number;
  malformed: number;
  heldOut: number;
  kept: number;
}

/**
 * Package name → its checked tasks, from writers' lines (`name<TAB>task | task | task`). `known`
 * maps a lower-case name to the selection's spelling; a package written twice keeps its first line.
 */
export function checkWritten(lines: readonly string[], known: ReadonlyMap<string, string>, prompts: readonly HeldOutPrompt[]): { uses: Map<string, string[]>; stats: WrittenStats } {
  const uses = new Map<string, string[]>();
  const stats: WrittenStats = { lines: 0, unknownPackage: 0, malformed: 0, heldOut: 0, kept: 0 };
  for (const line of lines) {
    if (!line.trim()) continue;
    stats.lines += 1;
    const [rawName, text, ...rest] = line.split("\t");
    const name = known.get((rawName ?? "").trim().toLowerCase());
    if (!name) { stats.unknownPackage += 1; continue; }
    if (uses.has(name)) continue;
    if (!text || rest.some((r) => r.trim())) { stats.malformed += 1; continue; }
    const tasks: string[] = [];
    for (const raw of text.split("|")) {
      const task = raw.replace(/\s+/g, " ").trim().replace(/^["']|["']$/g, "");
      const n = task.split(" ").length;
      if (!task || n < MIN_WORDS || n > MAX_WORDS) { stats.malformed += 1; continue; }
      if (saysHeldOut(task, name, prompts)) { stats.heldOut += 1; continue; }
      if (tasks.length < MAX_TASKS) tasks.push(task);
    }
    if (tasks.length) { uses.set(name, tasks); stats.kept += tasks.length; }
  }
  return { uses, stats };
}

/** The side file's text, in the selection's order (most popular first). */
export function usesTsv(uses: ReadonlyMap<string, string[]>, order: readonly string[]): string {
  const rows = order.filter((n) => uses.has(n)).map((n) => `${n}\t${uses.get(n)!.join(TASK_SEPARATOR)}`);
  return `name\ttasks\n${rows.join("\n")}\n`;
}
