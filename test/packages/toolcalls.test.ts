/**
 * Tool-call inspection: tool specs (defaults, per-model overrides, the schema), edits that
 * report only what they add, patches, unknown tools, broken JSON; and the report: locations,
 * the `none` verdict, the allowlist (never sent to a registry), the lookup and package caps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, ToolSpecsSchema } from "../../src/packages/index.js";
import type { ToolCallInput } from "../../src/packages/types.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
let reg: FakeRegistry;
beforeAll(async () => {
  reg = await startFakeRegistry();
});
afterAll(async () => {
  await checker.close();
  await reg.close();
});

const tc = (name: string, args: Record<string, unknown> | string, id = "call_1"): ToolCallInput => ({
  id, name, input: typeof args === "string" ? args : JSON.stringify(args),
});
const names = (calls: ToolCallInput[], tools?: Record<string, unknown>) =>
  checker.extract({ toolCalls: calls, ...(tools ? { tools: tools as never } : {}) }).map((p) => `${p.ecosystem}:${p.name}@${p.location?.path}:${p.line}`);
const live = (config: Record<string, unknown> = {}) =>
  createPackageChecker({ config: { timeoutMs: 5000, ...config }, watchlist: "memory", registryUrls: { npm: reg.url, pypiJson: `${reg.url}pypi/` } });

describe("tool specs", () => {
  it("ship the agents' tools, and scan a tool with no spec as text (every string argument)", () => {
    expect(names([tc("Bash", { command: "pip install a" }), tc("run_terminal_cmd", { command: "npm i b" }, "c2")])).toEqual(["pypi:a@command:1", "npm:b@command:1"]);
    expect(names([tc("my_tool", { notes: "hi", steps: [{ run: "pip install x" }, { run: "npm i y" }] })])).toEqual([
      "pypi:x@steps[0].run:1", "npm:y@steps[1].run:1",
    ]);
    // Read-only tools are not scanned, whatever their arguments say.
    expect(names([tc("Grep", { pattern: "pip install x" }), tc("read_file", { absolute_path: "x.py" }, "c2")])).toEqual([]);
  });

  it("merge a model's overrides over the defaults", () => {
    const tools = { run_code: { kind: "shell", command: "script" }, Bash: { kind: "ignore" }, files: { kind: "write", path: "p", content: "body" } };
    const calls = [
      tc("run_code", { script: "pip install a", lang: "sh" }), tc("Bash", { command: "pip install b" }, "c2"),
      tc("files", { p: "requirements.txt", body: "c\nd" }, "c3"), tc("Write", { file_path: "requirements.txt", content: "e" }, "c4"),
    ];
    expect(names(calls, tools)).toEqual(["pypi:a@script:1", "pypi:c@body:1", "pypi:d@body:2", "pypi:e@content:1"]);
  });

  it("match a tool name case-insensitively when no exact spec exists", () => {
    expect(names([tc("BASH", { command: "pip install a" })])).toEqual(["pypi:a@command:1"]);
  });

  it("validate per-model config with zod: unknown kinds and keys are errors, argument names default", () => {
    expect(ToolSpecsSchema.safeParse({ t: { kind: "sh" } }).success).toBe(false);
    expect(ToolSpecsSchema.safeParse({ t: { kind: "shell", cmd: "x" } }).success).toBe(false);
    expect(ToolSpecsSchema.parse({ t: { kind: "shell" }, u: { kind: "edit", new: "after" } })).toEqual({
      t: { kind: "shell", command: ["command", "cmd"] },
      u: { kind: "edit", path: ["file_path", "path"], old: ["old_string", "old_str"], new: ["after"] },
    });
    expect(() => checker.extract({ toolCalls: [tc("x", {})], tools: { x: { kind: "nope" } } as never })).toThrow();
  });
});

describe("edits, writes and patches", () => {
  it("report only what an edit adds (a version bump or a moved line is not new)", () => {
    const edit = (old_string: string, new_string: string, file_path = "requirements.txt") => names([tc("Edit", { file_path, old_string, new_string })]);
    expect(edit("a==1\n", "a==2\n")).toEqual([]);
    expect(edit("a==1\nb\n", "b\na==1\nc\n")).toEqual(["pypi:c@new_string:3"]);
    expect(edit("import os\n", "import os\nimport numpy\n", "m.py")).toEqual(["pypi:numpy@new_string:2"]);
    expect(edit('"x": "^1"', '"x": "^1",\n"y": "~2"', "package.json")).toEqual(["npm:y@new_string:2"]);
  });

  it("reads each MultiEdit item at its own path", () => {
    const r = names([tc("MultiEdit", { file_path: "requirements.txt", edits: [{ old_string: "a", new_string: "a\nb" }, { old_string: "c", new_string: "c\nd" }] })]);
    expect(r).toEqual(["pypi:b@edits[0].new_string:2", "pypi:d@edits[1].new_string:2"]);
  });

  it("reads Codex patches as function arguments and as raw custom-tool input, with the patch's lines", () => {
    const patch = "*** Begin Patch\n*** Update File: requirements.txt\n@@\n a\n-b==1\n+b==2\n+c\n*** End Patch";
    expect(names([tc("apply_patch", patch)])).toEqual(["pypi:c@input:7"]);
    expect(names([tc("apply_patch", { input: patch })])).toEqual(["pypi:c@input:7"]);
  });

  it("reads unified diffs by their hunk counts ('--- ' inside a hunk is a removed line)", () => {
    const diff = "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,2 +1,2 @@\n--- x\n+y\n a\n";
    expect(names([tc("apply_patch", { input: diff })])).toEqual(["pypi:y@input:5"]);
  });

  it("reads Cline's SEARCH/REPLACE blocks in both marker styles", () => {
    const diff = "------- SEARCH\na\n=======\na\nb\n+++++++ REPLACE\n<<<<<<< SEARCH\nc\n=======\nc\nd\n>>>>>>> REPLACE";
    expect(names([tc("replace_in_file", { path: "requirements.txt", diff })])).toEqual(["pypi:b@diff:5", "pypi:d@diff:11"]);
  });

  it("reads the OpenHands editor by its command", () => {
    const ed = (args: Record<string, unknown>) => names([tc("str_replace_editor", { path: "/w/requirements.txt", ...args })]);
    expect(ed({ command: "create", file_text: "a\nb" })).toEqual(["pypi:a@file_text:1", "pypi:b@file_text:2"]);
    expect(ed({ command: "str_replace", old_str: "a", new_str: "a\nc" })).toEqual(["pypi:c@new_str:2"]);
    expect(ed({ command: "insert", insert_line: 1, new_str: "d" })).toEqual(["pypi:d@new_str:1"]);
    expect(ed({ command: "view" })).toEqual([]);
  });

  it("drops imports of modules the answer's own calls write", () => {
    const calls = [
      tc("Write", { file_path: "/r/app/models.py", content: "import sqlalchemy\n" }, "c1"),
      tc("Write", { file_path: "/r/app/main.py", content: "import models\nfrom app import db\nimport flask\n" }, "c2"),
      tc("Bash", { command: "cat > helpers.py <<EOF\nx = 1\nEOF" }, "c3"),
      tc("Write", { file_path: "/r/run.py", content: "import helpers\nimport notes\n" }, "c4"),
    ];
    const found = checker.extract({ toolCalls: calls, text: "See notes.py for details." }).map((p) => p.name);
    expect(found).toEqual(["SQLAlchemy", "Flask"]);
  });

  it("reads each string of broken JSON as text", () => {
    expect(names([tc("Bash", '{"command": "pip install a && npm i b')])).toEqual(["pypi:a@input:1", "npm:b@input:1"]);
    expect(names([tc("Bash", '["pip install c"]')])).toEqual(["pypi:c@input:1"]);
  });
});

describe("the report on tool calls", () => {
  it("gives every package found in a call its location, and none to packages found in text", async () => {
    const r = await checker.check({
      text: "Run:\n\n```bash\npip install requests\n```",
      toolCalls: [tc("Bash", { command: "pip install requests flask-restfull" }, "call_a"), tc("Write", { file_path: "requirements.txt", content: "requests" }, "call_b")],
    });
    expect(r.packages.map((p) => [p.name, p.verdict, p.location ?? null])).toEqual([
      ["requests", "exists", null],
      ["requests", "exists", { toolCallId: "call_a", tool: "Bash", path: "command" }],
      ["flask-restfull", "not_found", { toolCallId: "call_a", tool: "Bash", path: "command" }],
      ["requests", "exists", { toolCallId: "call_b", tool: "Write", path: "content" }],
    ]);
    expect(r.verdict).toBe("hallucination");
  });

  it("says `none` when an answer names no package, and `clean` when all exist", async () => {
    expect((await checker.check({ text: "I updated the tests; they pass now." })).verdict).toBe("none");
    expect((await checker.check({ toolCalls: [tc("Bash", { command: "npm ci && pip install -r requirements.txt" })] })).verdict).toBe("none");
    expect((await checker.check({ toolCalls: [tc("Bash", { command: "pip install requests" })] })).verdict).toBe("clean");
  });
});

describe("allowlist", () => {
  it("allows exact names and globs per ecosystem, counts them, and never sends them to a registry", async () => {
    const c = live({ allow: { npm: ["@acme/*", "internal-sdk"], pypi: ["acme-*", "Corp_Utils"] } });
    const before = reg.requests.length;
    const r = await c.check({
      toolCalls: [tc("Bash", { command: "npm i @acme/logger internal-sdk @acme-evil/x && pip install acme-billing corp.utils acme_tools acmex" })],
    });
    const by = Object.fromEntries(r.packages.map((p) => [p.name, [p.verdict, p.via, p.risk]]));
    expect(by).toEqual({
      "@acme/logger": ["allowed", "allowlist", "none"], "internal-sdk": ["allowed", "allowlist", "none"],
      "acme-billing": ["allowed", "allowlist", "none"], "corp.utils": ["allowed", "allowlist", "none"], acme_tools: ["allowed", "allowlist", "none"],
      "@acme-evil/x": ["not_found", "registry", "high"], acmex: ["not_found", "registry", "high"],
    });
    expect(r.totals).toMatchObject({ packages: 7, allowed: 5, not_found: 2 });
    const asked = reg.requests.slice(before).map(decodeURIComponent);
    expect(asked.sort()).toEqual(["/@acme-evil/x", "/pypi/acmex/json"]);
    await c.close();
  });

  it("rejects patterns that are not names or globs", () => {
    expect(() => createPackageChecker({ config: { allow: { npm: ["a b"] } }, watchlist: "memory" })).toThrow(/glob/);
  });
});

describe("per-check caps", () => {
  it("starts at most maxLookups registry requests; the rest are unknown via limit and the report incomplete", async () => {
    const c = live({ maxLookups: 3 });
    const before = reg.requests.length;
    const pkgs = ["cap-a-zz", "cap-b-zz", "cap-c-zz", "cap-d-zz", "cap-e-zz"];
    const r = await c.check({ toolCalls: [tc("Bash", { command: `npm i ${pkgs.join(" ")}` })] });
    expect(reg.requests.length - before).toBe(3);
    expect(r.packages.map((p) => [p.verdict, p.via])).toEqual([
      ["not_found", "registry"], ["not_found", "registry"], ["not_found", "registry"], ["unknown", "limit"], ["unknown", "limit"],
    ]);
    expect(r.incomplete).toBe(true);
    // Cache hits are free: a second check asks only for the two it could not ask before.
    const again = await c.check({ toolCalls: [tc("Bash", { command: `npm i ${pkgs.join(" ")}` })] });
    expect(reg.requests.length - before).toBe(5);
    expect(again.incomplete).toBe(false);
    await c.close();
  });

  it("judges at most maxPackages distinct packages; one judgement is shared by every place a name appears", async () => {
    const c = createPackageChecker({ config: { mode: "offline", maxPackages: 2 }, watchlist: "memory" });
    const r = await c.check({ toolCalls: [tc("Bash", { command: "pip install requests numpy pandas" }), tc("Bash", { command: "pip install requests" }, "c2")] });
    expect(r.packages.map((p) => [p.name, p.verdict, p.via])).toEqual([
      ["requests", "exists", "snapshot"], ["numpy", "exists", "snapshot"], ["pandas", "unknown", "limit"], ["requests", "exists", "snapshot"],
    ]);
    expect(r.incomplete).toBe(true);
    await c.close();
  });
});
