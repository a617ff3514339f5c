/**
 * The language of the file a completion is written into, so verify reads the answer
 * as code of that language. Editors say it in the prompt: Continue and Copilot-style
 * prompts start with a path comment (`# Path: app.py`, `// File: src/x.ts`), StarCoder
 * style with `<filename>app.py`. Without one, the code's own marks decide (Python's
 * `def …:` and `import x` lines against JavaScript's `require(`, `const`, `=>`); a tie
 * leaves it to the checker, which guesses per block. A requirements file (`requirements*.txt`,
 * `constraints*.txt`, pip-tools' `requirements/*.in`) is "requirements": its lines name PyPI packages;
 * a `package.json` is "package_json": its `"name": "version"` entries name npm packages.
 */
const EXTENSIONS: Record<string, string> = {
  py: "python", pyi: "python", pyw: "python", ipynb: "python",
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
  ts: "typescript", mts: "typescript", cts: "typescript", tsx: "typescript",
};

// requirements.txt, requirements-dev.txt, constraints.txt, and pip-tools' requirements/base.in.
const REQUIREMENTS_FILE = /(?:^|[/\\])(?:(?:requirements|constraints)[\w.-]*|requirements[/\\][\w.-]+)\.(?:txt|in)$/i;
const PACKAGE_JSON = /(?:^|[/\\])package\.json$/i;
const PATH_MARK = /(?:^|\n)\s*(?:(?:#|\/\/|--|<!--)\s*(?:path|file(?:name)?)\s*:\s*|<filename>\s*)(\S+)/i;
const PY_MARKS = [/^\s*def \w+\(.*\)\s*(->.*)?:\s*$/m, /^\s*from [\w.]+ import /m, /^\s*import [\w.]+(?:\s+as \w+)?\s*$/m, /^\s*class \w+.*:\s*$/m, /\bself\./, /^\s*(?:elif|except)\b/m];
const JS_MARKS = [/\brequire\s*\(/, /^\s*import\s.*\sfrom\s*["']/m, /^\s*(?:const|let|var)\s/m, /=>/, /\bfunction\s*\w*\s*\(/, /;\s*$/m, /\bconsole\.log\b/, /^\s*export\s/m];

export function completionLanguage(prompt: string, suffix: string | undefined): string | undefined {
  const head = prompt.slice(0, 2000);
  const mark = PATH_MARK.exec(head);
  if (mark?.[1] && REQUIREMENTS_FILE.test(mark[1])) return "requirements";
  if (mark?.[1] && PACKAGE_JSON.test(mark[1])) return "package_json";
  const ext = mark?.[1]?.split(".").pop()?.toLowerCase();
  if (ext && EXTENSIONS[ext]) return EXTENSIONS[ext];
  // Bounded: marks are searched in the text near the cursor only.
  const text = `${prompt.slice(-4000)}\n${(suffix ?? "").slice(0, 2000)}`;
  const py = PY_MARKS.filter((r) => r.test(text)).length;
  const js = JS_MARKS.filter((r) => r.test(text)).length;
  if (py > js) return "python";
  if (js > py) return "javascript";
  return undefined;
}

/**
 * Where the file's own text starts in the prompt: after the path comment's line, when there is
 * one. Editors put other context above it (snippets of other files, as comments), which is not
 * part of the file: a package.json's sections are read from here.
 */
export function fileStart(prompt: string): number {
  const mark = PATH_MARK.exec(prompt.slice(0, 2000));
  if (!mark) return 0;
  const end = prompt.indexOf("\n", mark.index + mark[0].length);
  return end < 0 ? prompt.length : end + 1;
}
