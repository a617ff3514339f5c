/**
 * A Python project's own long description (its README, as PyPI shows it) from the core
 * metadata file a built package carries (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`), cut
 * down to its prose: what the authors say the library does, in their users' words ("OCR",
 * "curry, compose", "dimension reduction") where the one-line summary is terse.
 * `pypi-readmes.ts` is the command around it.
 */

/** RFC 822-style metadata: the headers, and the body (or the folded `Description:` header). */
export function parseMetadata(text: string): { name?: string; description: string } {
  const cut = text.search(/\r?\n\r?\n/);
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? "" : text.slice(cut).trim();
  const name = /^Name:\s*(\S+)/m.exec(head)?.[1];
  // Metadata 1.x folds the description into a header, continuation lines indented by 8 spaces or "|".
  const folded = /^Description: (.*(?:\r?\n(?: {8}|\|).*)*)/m.exec(head)?.[1]?.replace(/\r?\n(?: {8}|\|)/g, "\n");
  const description = body || (folded && folded !== "UNKNOWN" ? folded : "");
  return { name, description };
}

const FENCE = /^\s*(```|~~~)/;
const UNDERLINE = /^\s*([=\-~^"'`#*+_.])\1{2,}\s*$/;
// A table row (`| a | b |`, `+---+`); an RST substitution (`|name|_, for …`) opens a prose line.
const TABLE = /^\s*(\|.*\|\s*$|\+[-=+]{3,})/;
// Lines that are code, prompts, badges or link definitions, not prose.
const NOT_PROSE = /^\s*(>>>|\.\.\.\s|\$\s|%\s|In \[\d+\]|\[!\[|!\[|\[[^\]]+\]:\s|:[a-z-]+:|#!|import\s|from\s\S+\simport\s)/;

/** The description's prose paragraphs, at most `maxLen` characters, one line. */
export function prose(description: string, maxLen = 2000): string {
  const kept: string[] = [];
  let paragraph: string[] = [];
  let inFence = false;
  let literalIndent = -1; // inside an RST literal block or directive: its indented lines are skipped
  const flush = () => {
    const p = paragraph.join(" ").replace(/\s+/g, " ").trim();
    paragraph = [];
    // A paragraph of prose has words, not just a heading or a line of symbols.
    if (p.split(" ").length >= 6 && (p.match(/[A-Za-z]/g)?.length ?? 0) > p.length * 0.6) kept.push(p);
  };
  for (const raw of description.split(/\r?\n/)) {
    const line = raw.replace(/\t/g, "    ");
    if (FENCE.test(line)) { inFence = !inFence; flush(); continue; }
    if (inFence) continue;
    const indent = line.search(/\S/);
    if (literalIndent >= 0) {
      if (indent < 0 || indent > literalIndent) continue;
      literalIndent = -1;
    }
    if (indent < 0) { flush(); continue; }
    if (/^\s*\.\.\s/.test(line)) { flush(); literalIndent = indent; continue; }
    if (UNDERLINE.test(line) || TABLE.test(line) || NOT_PROSE.test(line)) { paragraph = []; continue; }
    if (indent >= 4 && paragraph.length === 0) continue; // a markdown code block
    paragraph.push(line.trim().replace(/::$/, ":"));
    if (/::\s*$/.test(line)) { flush(); literalIndent = indent; }
  }
  flush();
  let out = "";
  for (const p of kept) {
    if (out.length + p.length + 1 > maxLen) break;
    out += (out ? " " : "") + p;
  }
  return out || (kept[0]?.slice(0, maxLen).replace(/\s+\S*$/, "") ?? "");
}
