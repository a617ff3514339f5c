/**
 * Answers to "Which packages would be useful for …" are bare lists, not code:
 * "yamllint, python-yaml, fastparquet", or one name per (bulleted) line. The paper's
 * H2/H3 heuristics and the testbed's listing prompts produce exactly these, so a
 * checker that only reads install commands and imports reports them as clean.
 *
 * A text counts as a list only when *every* line is list items, so prose that
 * merely contains a comma or a bullet is never mistaken for one.
 */
import { npmNameOfSpec, pypiNameOfSpec } from "./install.js";

export interface ListHit { name: string; line: number }

const NAME = /^@?[A-Za-z0-9][\w.\-]*(\/[\w.\-]+)?$/;
// "- requests: HTTP for humans", "1. **numpy** – arrays": the name, then an optional gloss.
const BULLET = /^(?:[-*+•]|\d+[.)])\s+(.*)$/;
const GLOSS = /^(\S+?)(?::\s.*|:$|\s+[-–—]\s+.*|\s*\(.*\))?$/;

function itemName(raw: string): string | undefined {
  const token = raw.replace(/[*`"']/g, "").trim().replace(/[.;]$/, "");
  return token && NAME.test(token) && token.length <= 214 ? token : undefined;
}

export function lineItems(line: string): string[] | undefined {
  const bullet = BULLET.exec(line);
  if (bullet) {
    const head = GLOSS.exec(bullet[1]!.replace(/\*\*/g, "").trim());
    const name = head && itemName(head[1]!);
    return name ? [name] : undefined;
  }
  const parts = line.split(",").map((p) => p.trim()).filter(Boolean);
  const names = parts.map(itemName);
  return names.every((n): n is string => n !== undefined) ? names : undefined;
}

/**
 * The names of a bare package list, or [] when the text is not one. A single name
 * counts only with `expectList` (the prompt asked for a list): "Yes." is not a package.
 */
export function findBareList(text: string, options: { js: boolean; expectList?: boolean }): ListHit[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 40) return [];
  const hits: ListHit[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    const items = lineItems(line.trim());
    if (!items) return [];
    for (const item of items) {
      const name = options.js ? npmNameOfSpec(item) : pypiNameOfSpec(item);
      if (name) hits.push({ name, line: i + 1 });
    }
  }
  if (options.expectList) return hits;
  // Unasked, a short line that ends like a sentence is prose ("Sure, done.", "Done, thanks!"):
  // an agent's closing words must not read as two made-up packages.
  if (lines.filter((l) => l.trim()).length === 1 && /[.!?]\s*$/.test(text) && hits.length <= 3) return [];
  return hits.length >= 2 ? hits : [];
}
