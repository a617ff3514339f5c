/**
 * Splits streamed answer text into prose, which may be released at once, and held
 * segments (fenced code blocks, install commands outside fences), which are released
 * only when complete and checked. Pure and synchronous so it can be tested chunk by
 * chunk; verify's stream wrapper does the checking.
 */

export type Piece =
  | { kind: "prose"; text: string }
  | { kind: "held"; segment: "fence" | "install"; text: string };

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
/** A partial line that may still turn into a fence opener (or inline code) once complete. */
const MAYBE_FENCE = /^ {0,3}(?:[`~]|$)/;
/** The start of a command that may install something; prose from here on waits for the line end. */
const COMMAND_START = /(^|[\s`$>(])(pip3?|pipx|python3?|py|uv|poetry|conda|mamba|npm|npx|pnpm|yarn|bun)\b/i;
export const INSTALL_COMMAND =
  /\b(?:pip3?|pipx|python3?\s+-m\s+pip|uv(?:\s+pip)?|poetry|conda|mamba|npm|pnpm|yarn|bun)\s+(?:install|add|i)\b/i;

export class CodeHoldSegmenter {
  private buf = "";
  /** Whether `buf` starts at the beginning of a line (only then can it open a fence). */
  private atLineStart = true;
  private fence: { char: string; len: number; text: string } | null = null;

  push(text: string): Piece[] {
    this.buf += text;
    const out: Piece[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl + 1);
      this.buf = this.buf.slice(nl + 1);
      this.takeLine(line, out);
      this.atLineStart = true;
    }
    if (!this.fence && this.buf) this.releasePartial(out);
    return merge(out);
  }

  /** End of stream: whatever is left, an unclosed fence included, is released (held pieces still get checked). */
  end(): Piece[] {
    const out: Piece[] = [];
    if (this.fence) {
      out.push({ kind: "held", segment: "fence", text: this.fence.text + this.buf });
      this.fence = null;
    } else if (this.buf) {
      out.push(INSTALL_COMMAND.test(this.buf) ? { kind: "held", segment: "install", text: this.buf } : { kind: "prose", text: this.buf });
    }
    this.buf = "";
    return merge(out);
  }

  private takeLine(line: string, out: Piece[]): void {
    if (this.fence) {
      this.fence.text += line;
      const close = new RegExp(`^ {0,3}\\${this.fence.char}{${this.fence.len},}\\s*$`);
      if (close.test(line.replace(/\n$/, ""))) {
        out.push({ kind: "held", segment: "fence", text: this.fence.text });
        this.fence = null;
      }
      return;
    }
    const open = this.atLineStart ? FENCE_OPEN.exec(line) : null;
    if (open) {
      const marker = open[1]!;
      this.fence = { char: marker[0]!, len: marker.length, text: line };
      return;
    }
    out.push(INSTALL_COMMAND.test(line) ? { kind: "held", segment: "install", text: line } : { kind: "prose", text: line });
  }

  /** Releases the safe prefix of an unfinished line: before any command word and before the last, possibly partial, word. */
  private releasePartial(out: Piece[]): void {
    if (this.atLineStart && MAYBE_FENCE.test(this.buf)) return;
    let cut = this.buf.search(/\S+$/);
    if (cut < 0) cut = this.buf.length;
    const cmd = COMMAND_START.exec(this.buf);
    if (cmd) cut = Math.min(cut, cmd.index + cmd[1]!.length);
    if (cut <= 0) return;
    out.push({ kind: "prose", text: this.buf.slice(0, cut) });
    this.buf = this.buf.slice(cut);
    this.atLineStart = false;
  }
}

function merge(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (p.kind === "prose" && last?.kind === "prose") last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}
