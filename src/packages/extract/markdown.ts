/**
 * Splits an answer into fenced code blocks and prose, keeping 1-based line numbers,
 * so each extractor sees only the text it understands.
 */
export type BlockKind = "python" | "javascript" | "shell" | "requirements" | "package_json" | "pyproject" | "unknown" | "prose";

export interface Block {
  kind: BlockKind;
  /** Lines of the block body. */
  lines: string[];
  /** 1-based line number of lines[0] in the whole text. */
  firstLine: number;
  /** Info string of the fence (`python`, `requirements.txt`…), or "" for prose/bare. */
  info: string;
  /** Prose line just before the fence: "Create a `requirements.txt`:" names the block. */
  caption: string;
}

// `(?:\s[^`]*)?` rather than `[^`]*` after the info word: no quadratic backtracking on long lines.
const FENCE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)(?:\s[^`]*)?$/;

const KIND_OF_INFO: Record<string, BlockKind> = {
  python: "python", py: "python", python3: "python", ipython: "python", pycon: "python",
  javascript: "javascript", js: "javascript", jsx: "javascript", mjs: "javascript", cjs: "javascript",
  typescript: "javascript", ts: "javascript", tsx: "javascript", node: "javascript", vue: "javascript", svelte: "javascript",
  bash: "shell", sh: "shell", shell: "shell", console: "shell", zsh: "shell", shellsession: "shell",
  powershell: "shell", ps1: "shell", cmd: "shell", bat: "shell", terminal: "shell", dockerfile: "shell",
  requirements: "requirements", "requirements.txt": "requirements", pip: "requirements", "pip-requirements": "requirements",
};

export function kindOfInfo(info: string, body: string[], caption: string): BlockKind {
  const key = info.toLowerCase().replace(/^\{?\.?/, "").replace(/}$/, "");
  const known = KIND_OF_INFO[key];
  if (known) return known;
  if (key === "json" || key === "jsonc" || key === "json5" || key === "package.json") {
    return /"(dev|peer|optional)?[dD]ependencies"\s*:/.test(body.join("\n")) ? "package_json" : "unknown";
  }
  if (key === "toml" || key === "pyproject.toml" || /pyproject\.toml/i.test(caption)) {
    if (body.some((l) => /^\s*\[(?:project|tool\.poetry|build-system|dependency-groups)[\].]/.test(l))) return "pyproject";
  }
  if (/requirements[\w.-]*\.txt/i.test(caption) && (key === "" || key === "text" || key === "txt" || key === "plaintext" || key === "ini")) {
    return "requirements";
  }
  return "unknown";
}

export function splitMarkdown(text: string): Block[] {
  const all = text.split(/\r?\n/);
  const blocks: Block[] = [];
  let prose: string[] = [];
  let proseStart = 1;
  let i = 0;
  const flushProse = (): void => {
    if (prose.length) blocks.push({ kind: "prose", lines: prose, firstLine: proseStart, info: "", caption: "" });
    prose = [];
  };
  while (i < all.length) {
    const m = FENCE.exec(all[i]!);
    if (!m) {
      if (!prose.length) proseStart = i + 1;
      prose.push(all[i]!);
      i++;
      continue;
    }
    const fence = m[1]!;
    const caption = prose.filter((l) => l.trim()).at(-1) ?? "";
    flushProse();
    const body: string[] = [];
    let j = i + 1;
    while (j < all.length && !all[j]!.trim().startsWith(fence)) body.push(all[j++]!);
    blocks.push({ kind: kindOfInfo(m[2] ?? "", body, caption), lines: body, firstLine: i + 2, info: m[2] ?? "", caption });
    i = j + 1;
  }
  flushProse();
  return blocks;
}
