/**
 * The shell lexer and what a command installs: quoting, escapes, substitutions, comments,
 * continuations, operators, redirections and heredocs, and the line each package is on.
 */
import { afterAll, describe, expect, it } from "vitest";
import { lineIndex } from "../../src/packages/extract/lines.js";
import { lexShell } from "../../src/packages/extract/shell.js";
import { createPackageChecker } from "../../src/packages/index.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
afterAll(() => checker.close());

const lex = (src: string) => lexShell(src, lineIndex(src));
const words = (src: string) => lex(src).map((c) => c.words.map((w) => w.text));
/** `name@line` of every package a Bash call with this command installs or writes. */
const found = (command: string | string[], tool = "Bash") =>
  checker.extract({ toolCalls: [{ id: "c1", name: tool, input: JSON.stringify({ command }) }] }).map((p) => `${p.ecosystem}:${p.name}@${p.line}`);

describe("shell lexer", () => {
  it("splits commands at && || ; | & newlines and parentheses", () => {
    expect(words("a 1 && b 2 || c; d | e & f\n(g; h)")).toEqual([["a", "1"], ["b", "2"], ["c"], ["d"], ["e"], ["f"], ["g"], ["h"]]);
    expect(lex("a | b").map((c) => c.piped)).toEqual([false, true]);
  });

  it("joins quotes, keeps escapes, and does not expand", () => {
    expect(words(`pip install 'a b'"c"d "x\\"y" \\$HOME $'n\\tm' "$V" $(cat f) \`id\` ${"${X}"}`)).toEqual([
      ["pip", "install", "a bcd", 'x"y', "$HOME", "n\tm", "$V", "$(cat f)", "`id`", "${X}"],
    ]);
  });

  it("keeps a word whole across a command substitution with spaces and nested quotes", () => {
    expect(words(`echo "$(grep -c 'a )' f)" done`)).toEqual([["echo", "$(grep -c 'a )' f)", "done"]]);
  });

  it("drops comments, but not a # inside a word", () => {
    expect(words("pip install a # b c\nnpm i x#y")).toEqual([["pip", "install", "a"], ["npm", "i", "x#y"]]);
  });

  it("joins continuation lines and keeps each word's line", () => {
    const cmds = lex("pip install a \\\n  b \\\n  c");
    expect(cmds).toHaveLength(1);
    expect(cmds[0]!.words.map((w) => [w.text, w.line])).toEqual([["pip", 1], ["install", 1], ["a", 1], ["b", 2], ["c", 3]]);
  });

  it("attaches redirections and reads heredoc bodies (<<, <<-, quoted delimiters, two on a line)", () => {
    const [cat] = lex("cat > req.txt <<'EOF'\nflask\n  x\nEOF\necho done");
    expect(cat!.words.map((w) => w.text)).toEqual(["cat"]);
    expect(cat!.redirects.map((r) => [r.op, r.target?.text])).toEqual([[">", "req.txt"], ["<<", "EOF"]]);
    expect(cat!.redirects[1]!.heredoc!.lines).toEqual([{ text: "flask", line: 2 }, { text: "  x", line: 3 }]);
    expect(words("cat <<-A\n\tone\n\tA\necho b")).toEqual([["cat"], ["echo", "b"]]);
    expect(lex("cat <<-A\n\tone\n\tA")[0]!.redirects[0]!.heredoc!.lines).toEqual([{ text: "one", line: 2 }]);
    const two = lex("paste <<A <<B\n1\nA\n2\nB\nls")[0]!;
    expect(two.redirects.map((r) => r.heredoc?.lines.map((l) => l.text))).toEqual([["1"], ["2"]]);
    // An unterminated heredoc runs to the end.
    expect(lex("cat <<EOF\na\nb")[0]!.redirects[0]!.heredoc!.lines.map((l) => l.text)).toEqual(["a", "b"]);
  });

  it("reads a digit word glued to a redirection as a file descriptor", () => {
    expect(lex("pip install a 2>&1 >log").map((c) => c.words.map((w) => w.text))).toEqual([["pip", "install", "a"]]);
    expect(words("echo 2 > f")).toEqual([["echo", "2"]]);
  });
});

describe("what a shell command installs", () => {
  it("finds installs anywhere in a chain, after sudo, env, assignments and keywords", () => {
    expect(found("cd app && FOO=1 sudo -u dev -H env -i PATH=/bin pip install a; if true; then npm i b; fi || yarn add c")).toEqual([
      "pypi:a@1", "npm:b@1", "npm:c@1",
    ]);
  });

  it("reads bash -lc / sh -c scripts, nested, with the lines of the outer string", () => {
    expect(found(`echo start\nbash -lc "cd x &&\n  pip install a\n  sh -c 'npm i b'"`)).toEqual(["pypi:a@3", "npm:b@4"]);
    expect(found("bash -euo pipefail -c 'pip install a'")).toEqual(["pypi:a@1"]);
    expect(found("bash script.sh pip install a")).toEqual([]);
  });

  it("reads an argv array; a bash -lc element is lexed as a script", () => {
    const r = checker.extract({ toolCalls: [{ id: "c", name: "shell", input: JSON.stringify({ command: ["bash", "-lc", "echo 1\npip install a"] }) }] });
    expect(r.map((p) => [p.name, p.line, p.location?.path])).toEqual([["a", 2, "command[2]"]]);
    const argv = checker.extract({ toolCalls: [{ id: "c", name: "shell", input: JSON.stringify({ command: ["sudo", "pip", "install", "x", "y"] }) }] });
    expect(argv.map((p) => p.location?.path)).toEqual(["command[3]", "command[4]"]);
  });

  it("does not read a mention as a command", () => {
    for (const command of [
      'git commit -m "pip install a && npm i b"',
      "echo 'run pip install a'",
      "grep -r 'npm install b' .",
      "python -c 'import os; os.system(\"pip install a\")'",
      "cat <<EOF\npip install a\nEOF",
      "printf 'pip install a\\n'",
    ]) expect(found(command), command).toEqual([]);
  });

  it("skips global options before the subcommand, and reads wrappers", () => {
    expect(found("npm --prefix web install a && pnpm -C apps/x --filter y add b && yarn workspace @s/w add c && pip -q install d")).toEqual([
      "npm:a@1", "npm:b@1", "npm:c@1", "pypi:d@1",
    ]);
    expect(found("docker compose exec -T api pip install a && poetry run pip install b && npx expo install c")).toEqual([
      "pypi:a@1", "pypi:b@1", "npm:expo@1", "npm:c@1",
    ]);
  });

  it("reads what echo, printf, cat and tee write into manifests, with the body's lines", () => {
    expect(found("cat > requirements.txt <<EOF\nflask\n\nrequests==2\nEOF")).toEqual(["pypi:flask@2", "pypi:requests@4"]);
    expect(found("echo 'a\nb' >> requirements.txt")).toEqual(["pypi:a@1", "pypi:b@2"]);
    expect(found("echo -e 'a\\nb' > requirements.txt")).toEqual(["pypi:a@1", "pypi:b@1"]);
    expect(found("printf '%s\\n' a b > requirements.txt")).toEqual(["pypi:a@1", "pypi:b@1"]);
    expect(found("x=1\necho c | tee -a requirements.txt")).toEqual(["pypi:c@2"]);
    expect(found("cat <<'J' > package.json\n{\"dependencies\": {\"d\": \"^1\"}}\nJ")).toEqual(["npm:d@2"]);
    // Output we cannot know is not read.
    expect(found("pip freeze > requirements.txt && curl -o package.json http://x/p")).toEqual([]);
  });

  it("reads patches it applies: apply_patch argv and git apply with a heredoc", () => {
    const patch = "*** Begin Patch\n*** Add File: requirements.txt\n+a\n*** End Patch";
    expect(found(["apply_patch", patch], "shell")).toEqual(["pypi:a@3"]);
    expect(found("git apply <<'EOF'\n--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1,2 @@\n x\n+b\nEOF")).toEqual(["pypi:b@6"]);
  });

  it("stops nesting bash -c at depth 4", () => {
    const nest = (n: number): string => (n === 0 ? "pip install deep" : `bash -c ${JSON.stringify(nest(n - 1))}`);
    expect(found(nest(3))).toEqual(["pypi:deep@1"]);
    expect(found(nest(6))).toEqual([]);
  });
});
