/**
 * A POSIX-shell lexer for the commands agents run: words with quotes, escapes, `$'…'`,
 * `$(…)` and backticks; comments; `\` line continuations; the operators that separate
 * commands (`&&`, `||`, `;`, `|`, `&`, newlines, subshell parentheses) and redirections,
 * with heredoc bodies (`<<EOF`, `<<-EOF`, `<<'EOF'`). It does not expand anything: a word
 * with `$VAR` or `$(…)` keeps its raw text, which no name validator accepts.
 *
 * One pass, index-based, so a 20 MB argument costs linear time. Every word knows the line
 * (of the caller's text) each of its characters came from, so a `bash -lc "…"` script
 * can be lexed again and still report lines of the original string.
 */

export interface Word {
  text: string;
  /** Line of the word's first character. */
  line: number;
  /** Where the line changes inside `text`: pairs [index in text, line], ascending (absent: one line). */
  marks?: number[];
}

export interface Heredoc {
  lines: { text: string; line: number }[];
}

export interface Redirect {
  op: string;
  target?: Word;
  heredoc?: Heredoc;
}

export interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
  /** Its standard input is the previous command's output (`a | b`). */
  piped: boolean;
}

/** Line of `text[index]` of a word. */
export function lineOfWord(word: Word, index: number): number {
  const m = word.marks;
  if (!m) return word.line;
  // Binary search for the last mark at or before `index` (a long script has many).
  let lo = 0;
  let hi = m.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m[mid * 2]! <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? word.line : m[(lo - 1) * 2 + 1]!;
}

const OPERATORS = ["&&", "||", ";;", ";&", "|&", "&>>", "&>", "<<<", "<<-", "<<", ">>", ">|", ">&", "<&", "<>", "|", "&", ";", "(", ")", "<", ">"];
const SEPARATORS = new Set(["&&", "||", ";;", ";&", "|&", "|", "&", ";", "(", ")"]);
/** Characters that end an unquoted run of word characters, as a table by char code (the lexer's inner loop). */
const SPECIAL = new Uint8Array(128);
for (const c of " \t\r\n'\"\\$`&|;<>()") SPECIAL[c.charCodeAt(0)] = 1;
const special = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i);
  return c < 128 && SPECIAL[c] === 1;
};

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", e: "\x1b", f: "\f", v: "\v" };

interface PendingHeredoc {
  redirect: Redirect;
  delimiter: string;
  stripTabs: boolean;
}

class Lexer {
  private i = 0;
  private line: number;
  private word: Word | undefined;
  private cur: SimpleCommand = { words: [], redirects: [], piped: false };
  private pendingTarget: Redirect | undefined;
  private heredocs: PendingHeredoc[] = [];
  readonly commands: SimpleCommand[] = [];

  constructor(private readonly src: string, private readonly lineAt: (offset: number) => number) {
    this.line = lineAt(0);
  }

  run(): SimpleCommand[] {
    const { src } = this;
    while (this.i < src.length) {
      const c = src[this.i]!;
      if (c === " " || c === "\t" || c === "\r") {
        this.endWord();
        this.i++;
      } else if (c === "\n") {
        this.endCommand("\n");
        this.newline(this.i);
        this.i++;
        if (this.heredocs.length) this.readHeredocs();
      } else if (c === "#" && !this.word) {
        const nl = src.indexOf("\n", this.i);
        this.i = nl === -1 ? src.length : nl;
      } else if (c === "\\") {
        this.backslash();
      } else if (c === "'") {
        this.single();
      } else if (c === '"') {
        this.double();
      } else if (c === "$") {
        this.dollar();
      } else if (c === "`") {
        this.append(this.balanced(this.i, "`"));
      } else if ("&|;<>()".includes(c)) {
        this.operator();
      } else {
        let j = this.i + 1;
        while (j < src.length && !special(src, j)) j++;
        this.append(src.slice(this.i, j));
        this.i = j;
      }
    }
    this.endCommand("");
    return this.commands;
  }

  private newline(at: number): void {
    this.line = this.lineAt(at + 1);
  }

  /** Appends raw source text (which may hold newlines) to the current word. */
  private append(text: string, from = this.i): void {
    const w = (this.word ??= { text: "", line: this.line });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", nl + 1)) {
      w.text += text.slice(start, nl + 1);
      start = nl + 1;
      this.newline(from + nl);
      (w.marks ??= []).push(w.text.length, this.line);
    }
    w.text += text.slice(start);
    this.i = from + text.length;
  }

  /** Appends text that does not come verbatim from the source (escapes): no line bookkeeping. */
  private appendLiteral(text: string): void {
    const w = (this.word ??= { text: "", line: this.line });
    w.text += text;
  }

  private backslash(): void {
    const next = this.src[this.i + 1];
    if (next === "\n") {
      // A continuation joins the lines; the word goes on (or a new one starts) on the next line.
      this.newline(this.i + 1);
      if (this.word) (this.word.marks ??= []).push(this.word.text.length, this.line);
      this.i += 2;
    } else {
      this.appendLiteral(next ?? "");
      this.i += 2;
    }
  }

  private single(): void {
    const end = this.src.indexOf("'", this.i + 1);
    const stop = end === -1 ? this.src.length : end;
    this.appendLiteral("");
    this.append(this.src.slice(this.i + 1, stop), this.i + 1);
    this.i = Math.min(this.src.length, stop + 1);
  }

  private double(): void {
    const { src } = this;
    this.appendLiteral("");
    let j = this.i + 1;
    let run = j;
    const flush = (to: number): void => {
      if (to > run) this.append(src.slice(run, to), run);
    };
    while (j < src.length && src[j] !== '"') {
      const c = src[j]!;
      if (c === "\\" && j + 1 < src.length) {
        flush(j);
        const n = src[j + 1]!;
        if (n === "\n") {
          this.newline(j + 1);
          (this.word!.marks ??= []).push(this.word!.text.length, this.line);
        } else this.appendLiteral('"\\$`'.includes(n) ? n : `\\${n}`);
        j += 2;
        run = j;
      } else if (c === "$" && src[j + 1] === "(") {
        flush(j);
        const sub = this.balanced(j + 1, ")");
        this.append(`$${sub}`, j);
        j += 1 + sub.length;
        run = j;
      } else if (c === "`") {
        flush(j);
        const sub = this.balanced(j, "`");
        this.append(sub, j);
        j += sub.length;
        run = j;
      } else j++;
    }
    flush(j);
    this.i = Math.min(src.length, j + 1);
  }

  private dollar(): void {
    const { src } = this;
    const n = src[this.i + 1];
    if (n === "'") {
      // ANSI-C quoting: `$'a\nb'`.
      let j = this.i + 2;
      let out = "";
      while (j < src.length && src[j] !== "'") {
        if (src[j] === "\\" && j + 1 < src.length) {
          out += ESCAPES[src[j + 1]!] ?? `\\${src[j + 1]}`;
          j += 2;
        } else out += src[j++];
      }
      this.appendLiteral(out);
      this.i = Math.min(src.length, j + 1);
    } else if (n === "(") {
      const sub = this.balanced(this.i + 1, ")");
      this.append(`$${sub}`);
    } else if (n === "{") {
      const end = src.indexOf("}", this.i);
      this.append(src.slice(this.i, end === -1 ? src.length : end + 1));
    } else {
      this.append("$");
    }
  }

  /**
   * Raw text from `from` (an opening `(` or a backtick) to its closing partner, skipping
   * quoted parts; to the end of the source when unclosed. Linear: each character is seen once.
   */
  private balanced(from: number, close: ")" | "`"): string {
    const { src } = this;
    let depth = 0;
    let j = from;
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (close === "`") {
        if (j > from && c === "`") break;
        if (c === "\\") j++;
        continue;
      }
      if (c === "\\") j++;
      else if (c === "'") {
        const e = src.indexOf("'", j + 1);
        j = e === -1 ? src.length : e;
      } else if (c === "(") depth++;
      else if (c === ")" && --depth === 0) break;
    }
    return src.slice(from, Math.min(src.length, j + 1));
  }

  private operator(): void {
    const { src } = this;
    const op = OPERATORS.find((o) => src.startsWith(o, this.i))!;
    // `2>&1`, `2> log`: a word of digits right before a redirection is a file descriptor.
    if ((op[0] === "<" || op[0] === ">") && this.word && /^\d+$/.test(this.word.text) && this.i > 0 && !special(src, this.i - 1)) {
      this.word = undefined;
    }
    this.i += op.length;
    if (SEPARATORS.has(op)) {
      this.endCommand(op);
      return;
    }
    this.endWord();
    const redirect: Redirect = { op };
    this.cur.redirects.push(redirect);
    this.pendingTarget = redirect;
  }

  private endWord(): void {
    const w = this.word;
    if (!w) return;
    this.word = undefined;
    const r = this.pendingTarget;
    if (!r) {
      this.cur.words.push(w);
      return;
    }
    this.pendingTarget = undefined;
    r.target = w;
    if (r.op === "<<" || r.op === "<<-") {
      r.heredoc = { lines: [] };
      this.heredocs.push({ redirect: r, delimiter: w.text, stripTabs: r.op === "<<-" });
    }
  }

  private endCommand(op: string): void {
    this.endWord();
    this.pendingTarget = undefined;
    if (this.cur.words.length || this.cur.redirects.length) this.commands.push(this.cur);
    this.cur = { words: [], redirects: [], piped: op === "|" || op === "|&" };
  }

  /** Reads the bodies of the heredocs opened on the line that just ended. */
  private readHeredocs(): void {
    const { src } = this;
    for (const h of this.heredocs) {
      while (this.i < src.length) {
        const nl = src.indexOf("\n", this.i);
        const end = nl === -1 ? src.length : nl;
        let text = src.slice(this.i, end).replace(/\r$/, "");
        if (h.stripTabs) text = text.replace(/^\t+/, "");
        const line = this.lineAt(this.i);
        this.i = end + 1;
        if (text === h.delimiter) break;
        h.redirect.heredoc!.lines.push({ text, line });
      }
    }
    this.heredocs = [];
    this.i = Math.min(this.i, src.length);
    this.line = this.lineAt(this.i);
  }
}

/** The simple commands of a script; `lineAt(offset)` gives the caller's line of a source offset. */
export function lexShell(src: string, lineAt: (offset: number) => number): SimpleCommand[] {
  return new Lexer(src, lineAt).run();
}
