/**
 * check_packages' input forms on the real (offline) checker, without a transport:
 * commands, manifests by file name, code by language, markdown and names, with
 * lines reported in the caller's own text, and the advice an agent acts on.
 */
import { afterAll, describe, expect, it } from "vitest";
import { CheckPackagesInputSchema, checkPackages, type CheckPackagesOutput } from "../../src/mcp/check-tool.js";
import { createPackageChecker } from "../../src/packages/index.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
afterAll(() => checker.close());

async function check(args: Record<string, unknown>): Promise<{ out: CheckPackagesOutput; text: string }> {
  const parsed = CheckPackagesInputSchema.parse(args);
  const { result } = await checkPackages(checker, parsed);
  return { out: result.structuredContent as CheckPackagesOutput, text: (result.content[0] as { text: string }).text };
}

const rows = (out: CheckPackagesOutput) => out.packages.map((p) => [p.name, p.verdict, p.line, p.advice]);

describe("check_packages inputs", () => {
  it("reads a requirements file by its name, with lines of the file itself", async () => {
    const manifest = "# web\nrequests==2.31.0\npython-yaml>=5\n\nnumpy\n";
    const { out } = await check({ manifest, filename: "requirements-dev.txt" });
    expect(rows(out)).toEqual([
      ["requests", "exists", 2, "ok"],
      ["python-yaml", "not_found", 3, "do_not_install"],
      ["numpy", "exists", 5, "ok"],
    ]);
    expect(out.packages.every((p) => p.source === "requirements")).toBe(true);
  });

  it("reads package.json dependencies as npm names (offline: outside the snapshot is unknown, with a suggestion)", async () => {
    const manifest = JSON.stringify({ name: "app", dependencies: { express: "^4.19.0", lodahs: "1.0.0" }, devDependencies: { vitest: "^1" } }, null, 2);
    const { out, text } = await check({ manifest, filename: "package.json" });
    expect(rows(out)).toEqual([
      ["express", "exists", 4, "ok"],
      ["lodahs", "unknown", 5, "check_first"],
      ["vitest", "exists", 8, "ok"],
    ]);
    expect(out.packages[1]).toMatchObject({ ecosystem: "npm", suggestion: "lodash", via: "offline" });
    expect(out.verdict).toBe("clean"); // the checker's verdict: nothing is known to be made up
    expect(text.split("\n")[0]).toBe("unverified: 2 of 3 package(s) exist, 1 could not be verified.");
    expect(text).toContain("- lodahs (npm, package_json line 5): could not be verified (offline). Check it before installing. Did you mean 'lodash'?");
  });

  it("reads pyproject.toml dependencies and not its keywords", async () => {
    const manifest = '[project]\nname = "demo"\nkeywords = ["yaml", "parser"]\ndependencies = [\n  "httpx>=0.27",\n  "fastapi-helperkit",\n]\n';
    const { out } = await check({ manifest, filename: "pyproject.toml" });
    expect(rows(out)).toEqual([
      ["httpx", "exists", 5, "ok"],
      ["fastapi-helperkit", "not_found", 6, "do_not_install"],
    ]);
  });

  it("recognises an unnamed manifest by its content", async () => {
    const { out } = await check({ manifest: "flask==3.0.0\nflask-helperkit==0.1\n" });
    expect(rows(out)).toEqual([
      ["flask", "exists", 1, "ok"],
      ["flask-helperkit", "not_found", 2, "do_not_install"],
    ]);
  });

  it("maps imports in code to distributions, by file name, and skips the standard library", async () => {
    const code = "import os\nimport cv2\nfrom yaml import safe_load\nimport fitz_helperkit\n";
    const { out } = await check({ code, filename: "tools/convert.py" });
    expect(out.packages.map((p) => [p.name, p.module, p.verdict, p.line])).toEqual([
      ["opencv-python", "cv2", "exists", 2],
      ["PyYAML", "yaml", "exists", 3],
      ["fitz_helperkit", "fitz_helperkit", "not_found", 4],
    ]);
  });

  it("reads TypeScript imports as npm packages and leaves relative ones alone", async () => {
    const code = 'import express from "express";\nimport { z } from "zod";\nimport { helper } from "./helper";\nimport fs from "node:fs";\n';
    const { out, text } = await check({ code, language: "typescript" });
    expect(rows(out)).toEqual([
      ["express", "exists", 1, "ok"],
      ["zod", "exists", 2, "ok"],
    ]);
    expect(text).toBe("clean: all 2 package(s) exist.\n- express (npm, import line 1): exists\n- zod (npm, import line 2): exists");
  });

  it("reads every install in a multi-line command, with its line", async () => {
    const { out } = await check({ command: "python -m venv .venv && \\\n  pip install -U httpx\nuv add beautifulsoup\nnpm i -D typescript" });
    expect(out.packages.map((p) => [p.name, p.ecosystem, p.line, p.advice])).toEqual([
      ["httpx", "pypi", 2, "ok"],
      ["beautifulsoup", "pypi", 3, "check_first"],
      ["typescript", "npm", 4, "ok"],
    ]);
    expect(out.verdict).toBe("risk");
    expect(out.packages[1]).toMatchObject({ risk: "medium", suggestion: "beautifulsoup4", risks: [{ kind: "typosquat", similarTo: "beautifulsoup4" }] });
  });

  it("checks a markdown answer and bare names", async () => {
    const text = "Install it:\n\n```bash\npip install django-data-backup\n```\n\nThen `import django_data_backup`.";
    expect(rows((await check({ text })).out)).toEqual([["django-data-backup", "not_found", 4, "do_not_install"]]);
    const names = await check({ packages: ["requests>=2", "reqeusts"] });
    expect(rows(names.out)).toEqual([
      ["requests", "exists", 1, "ok"],
      ["reqeusts", "not_found", 2, "do_not_install"],
    ]);
    expect(names.text.split("\n")[0]).toBe("hallucination: 1 of 2 package(s) do not exist.");
  });

  it("says what to pass when it finds no package", async () => {
    const { out, text } = await check({ command: "ls -la && git status" });
    expect(out).toEqual({ verdict: "none", totals: { packages: 0, exists: 0, not_found: 0, unknown: 0, risky: 0 }, packages: [] });
    expect(text).toMatch(/^No packages found in the command\. Pass names in `packages`/);
  });
});

describe("check_packages argument errors", () => {
  const issues = (args: Record<string, unknown>) => {
    const r = CheckPackagesInputSchema.safeParse(args);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("wants exactly one input", () => {
    expect(issues({})).toEqual(["packages: give exactly one of packages, command, manifest, code, text (got none); call the tool once per input"]);
    expect(issues({ code: "import x", text: "y" })).toEqual(["text: give exactly one of packages, command, manifest, code, text (got code and text); call the tool once per input"]);
  });

  it("names what is wrong with a file name or a value", () => {
    expect(issues({ manifest: "[dependencies]\nserde = 1", filename: "Cargo.toml" })).toEqual([
      "filename: unsupported manifest 'Cargo.toml'; supported: requirements*.txt / *.in, constraints*.txt, package.json, pyproject.toml, setup.py",
    ]);
    expect(issues({ command: "pip install x", filename: "requirements.txt" })).toEqual(["filename: filename names a `manifest` or `code`; give one of them too"]);
    expect(issues({ packages: ["x"], ecosystem: "cargo" })[0]).toMatch(/^ecosystem: Invalid option/);
    expect(issues({ packages: Array.from({ length: 1001 }, (_, i) => `p${i}`) })[0]).toMatch(/^packages: Too big/);
    expect(issues({ text: "x".repeat(512 * 1024 + 1) })[0]).toMatch(/^text: Too big/);
  });
});
