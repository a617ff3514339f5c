/**
 * Property-based tests of the package extractor (`createPackageChecker().extract`) and
 * of a full offline check: for answer-like text built from the constructs the
 * extractor reads (install commands, fenced code, imports, requirements, package.json,
 * lists) mixed with arbitrary and hostile text, nothing throws, every package found
 * has a single-line name and a line inside the text, and the report's totals add up.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { createPackageChecker } from "../../src/packages/index.js";
import { fuzzParams, fuzzTimeout, HOSTILE_CHARS } from "./fuzz.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
afterAll(() => checker.close());

const token = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,15}$/),
  fc.constantFrom("requests", "numpy", "django-data-backup", "@types/node", "left-pad", "cv2", "sklearn", "yaml", "fs", "os"),
  fc.array(fc.constantFrom(...HOSTILE_CHARS, "a", "b", "1"), { minLength: 1, maxLength: 6 }).map((a) => a.join("")),
);
const names = fc.array(token, { minLength: 1, maxLength: 6 }).map((a) => a.join(" "));
const version = fc.constantFrom("", "==1.0", ">=2,<3", "[extra]", "@latest", "@^1.2.0", "~=0.1", " ; python_version<'3.8'");

const fragment = fc.oneof(
  names.map((n) => `pip install ${n}`),
  fc.tuple(token, version).map(([n, v]) => `pip3 install -U ${n}${v}`),
  names.map((n) => `npm install --save ${n}`),
  names.map((n) => `yarn add ${n}`),
  names.map((n) => `conda install -c conda-forge ${n}`),
  names.map((n) => `poetry add ${n}`),
  token.map((n) => `import ${n}`),
  fc.tuple(token, token).map(([a, b]) => `from ${a}.${b} import thing`),
  token.map((n) => `const x = require("${n}");`),
  token.map((n) => `import x from '${n}';`),
  fc.tuple(token, version).map(([n, v]) => `${n}${v}`),
  fc.array(token, { minLength: 2, maxLength: 5 }).map((a) => a.join(", ")),
  fc.dictionary(token, fc.constantFrom("^1.0.0", "*", "latest")).map((d) => JSON.stringify({ dependencies: d }, null, 2)),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("```", "```python", "```bash", "```js", "```json", "~~~", "    ", "# Heading", "- item", "1. step", "> quote", "$ ", "\\", "`", ""),
);

/** Fragments become lines, with code fences opened and closed at random (or never closed). */
const answer = fc.array(fragment, { minLength: 1, maxLength: 25 }).map((lines) => lines.join("\n"));

function checkFound(text: string, found: ReturnType<typeof checker.extract>): void {
  const lineCount = text.split("\n").length;
  for (const p of found) {
    expect(typeof p.name).toBe("string");
    expect(p.name.length).toBeGreaterThan(0);
    expect(p.name).not.toMatch(/[\r\n]/);
    expect(Number.isInteger(p.line) && p.line >= 1 && p.line <= lineCount, `line ${p.line} of ${lineCount}`).toBe(true);
    expect(["pypi", "npm", "conda"]).toContain(p.ecosystem);
    expect(["install", "import", "requirements", "package_json", "list"]).toContain(p.source);
  }
}

describe("extractor (property)", () => {
  it("never throws on answer-like text, and reports only single-line names on real lines", () => {
    const seen = { runs: 0, found: 0, withPackages: 0 };
    fc.assert(
      fc.property(answer, fc.constantFrom(undefined, "pypi", "npm"), fc.boolean(), (text, ecosystem, expectList) => {
        const found = checker.extract({ text, ...(ecosystem ? { ecosystem } : {}), expectList });
        checkFound(text, found);
        seen.runs++;
        seen.found += found.length;
        if (found.length > 0) seen.withPackages++;
      }),
      fuzzParams(2_000),
    );
    // The generator reaches the extractor's real paths: most answers do name packages.
    expect(seen.withPackages / seen.runs).toBeGreaterThan(0.5);
    expect(seen.found).toBeGreaterThan(seen.runs);
  }, fuzzTimeout());

  it("never throws on bare code in either language", () => {
    fc.assert(
      fc.property(answer, fc.constantFrom("python", "javascript", "typescript", "ruby"), (code, language) => {
        checkFound(code, checker.extract({ code, language }));
      }),
      fuzzParams(1_000),
    );
  }, fuzzTimeout());

  it("a full offline check never throws and its totals add up", async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (text) => {
        const report = await checker.check({ text });
        const t = report.totals;
        expect(t.packages).toBe(report.packages.length);
        expect(t.exists + t.not_found + t.unknown).toBe(t.packages);
        expect(["none", "clean", "hallucination", "risk"]).toContain(report.verdict);
      }),
      fuzzParams(300),
    );
  }, fuzzTimeout());
});
