/**
 * Finds install commands written in text (answers: code blocks, comments, inline code,
 * prose sentences) and the packages they name. What a command installs is decided in
 * managers.ts, shared with the shell parser for tool calls.
 */
import type { PackageEcosystem } from "../types.js";
import { namesOf, parseTool } from "./managers.js";
import { lineIndex } from "./lines.js";

export { npmNameOfSpec, pypiNameOfSpec, condaNameOfSpec } from "./specs.js";

export interface InstallHit {
  name: string;
  ecosystem: PackageEcosystem;
  line: number;
}

/** Shell-ish tokenizer: quotes group, backticks end a token; keeps each token's offset. */
function tokenizeAt(cmd: string): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  for (const m of cmd.matchAll(/"([^"]*)"|'([^']*)'|([^\s"'`]+)/g)) out.push({ text: m[1] ?? m[2] ?? m[3] ?? "", at: m.index! });
  return out;
}

export function tokenize(cmd: string): string[] {
  return tokenizeAt(cmd).map((t) => t.text);
}

const PROMPT = /^\s*(?:#|\/\/|>|\$|PS>|In \[\d+\]:)?\s*/;

/**
 * The parts of a line that may hold a command, with their offsets: inline code spans when
 * the line has them; otherwise the whole line in code, and in prose only a line that starts with one.
 */
function spansOf(text: string, prose: boolean): { text: string; at: number }[] {
  const inline = [...text.matchAll(/`([^`]+)`/g)].map((m) => ({ text: m[1]!, at: m.index! + 1 }));
  if (inline.length) return inline;
  const bare = text.replace(PROMPT, "");
  const span = { text: bare, at: text.length - bare.length };
  if (!prose) return [span];
  // In prose a command may follow words ("Install it with pip install x."); stop words end it.
  const t = tokenize(bare);
  return t.some((_, k) => parseTool(t, k)) ? [span] : [];
}

/** Every command parseTool knows starts with one of these words. */
const TOOL_WORD = /(?:^|[\s!%$`(;&|])(?:pip[\d.]*|python[\d.]*|py|uv|poetry|pdm|rye|pipenv|pipx|conda|mamba|micromamba|npm|yarn|pnpm|pnpx|bun|bunx|npx)(?:\.exe)?(?=\s|$)/i;

const SEPARATOR = /&&|\|\||;|\||\bthen\b/g;

/** Simple commands of a span (split at `&&`, `||`, `;`, `|`, `then`), with their offsets. */
function commandsOf(span: { text: string; at: number }): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let from = 0;
  for (const m of span.text.matchAll(SEPARATOR)) {
    out.push({ text: span.text.slice(from, m.index), at: span.at + from });
    from = m.index! + m[0].length;
  }
  out.push({ text: span.text.slice(from), at: span.at + from });
  return out;
}

/**
 * Scans lines for install commands, joining `\` continuations and trailing `&&`/`||`,
 * and tags each package with the line its own token is on.
 */
export function findInstalls(lines: string[], firstLine: number, prose: boolean): InstallHit[] {
  const hits: InstallHit[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!TOOL_WORD.test(lines[i]!)) continue; // most lines of an answer name no installer
    // Only the newest line is tested for a continuation, so joining n lines stays linear.
    const first = i;
    const parts = [lines[i]!];
    for (;;) {
      const last = parts[parts.length - 1]!;
      if (i + 1 >= lines.length) break;
      if (/\\\s*$/.test(last)) parts[parts.length - 1] = last.replace(/\\\s*$/, "");
      else if (!/(?:&&|\|\|)\s*$/.test(last)) break;
      parts.push(lines[++i]!);
    }
    const text = parts.join(" ");
    const lineAt = joinedLines(parts, firstLine + first);
    for (const span of spansOf(text, prose)) {
      for (const cmd of commandsOf(span)) {
        const tokens = tokenizeAt(cmd.text);
        const texts = tokens.map((t) => t.text);
        for (let k = 0; k < tokens.length; k++) {
          const tool = parseTool(texts, k);
          if (!tool) continue;
          const suffix = tokens.length - tool.args.length;
          const { names, end } = namesOf(tool);
          for (const { name, arg } of names) {
            hits.push({ name, ecosystem: tool.ecosystem, line: lineAt(cmd.at + (tokens[suffix + arg]?.at ?? 0)) });
          }
          // npx and `npm create` consume the rest of the command as the package's own arguments.
          if (tool.mode !== "many") break;
          k = Math.max(k, suffix + end - 1);
        }
      }
    }
  }
  return hits;
}

/** Line of an offset in `parts.join(" ")`, the parts being consecutive lines from `firstLine`. */
function joinedLines(parts: string[], firstLine: number): (offset: number) => number {
  if (parts.length === 1) return () => firstLine;
  return lineIndex(parts.join("\n"), firstLine);
}
