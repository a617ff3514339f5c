/**
 * Extraction details, and the paper's false-positive lists as an oracle: those are
 * artefacts its parser produced (`!-git`, flags, quotes…); ours must never produce one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPackageChecker } from "../../src/packages/index.js";
import { isValidName } from "../../src/packages/names.js";
import type { FoundPackage } from "../../src/packages/types.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
afterAll(() => checker.close());
const names = (found: FoundPackage[]): string[] => found.map((p) => `${p.ecosystem}:${p.normalized}`);

/** The paper's lists, copied as test fixtures (provenance in test/fixtures/paper/README.md). */
function paperList(file: string): string[] {
  return readFileSync(join(import.meta.dirname, "..", "fixtures", "paper", file), "utf8")
    .split("\n").filter(Boolean).map((l) => l.split(",").slice(1, -2).join(","));
}

describe("extraction", () => {
  it("tags source and line", () => {
    const text = ["Intro", "```bash", "pip install flask", "```", "```python", "import numpy as np", "```", "```json", '{', '  "dependencies": {', '    "left-pad": "1.0.0"', "  }", "}", "```"].join("\n");
    expect(checker.extract({ text }).map((p) => [p.name, p.source, p.line])).toEqual([
      ["flask", "install", 3], ["numpy", "import", 6], ["left-pad", "package_json", 11],
    ]);
  });

  it("gives each package of a multi-line install command its own line", () => {
    const text = ["```bash", "pip install torch==2.3.0 \\", "    torchaudio \\", "    --index-url x && \\", "pip install accelerate", "```"].join("\n");
    expect(checker.extract({ text }).map((p) => [p.name, p.line])).toEqual([["torch", 2], ["torchaudio", 3], ["accelerate", 5]]);
  });

  it("maps modules and records the module as imported", () => {
    const [p] = checker.extract({ code: "import cv2", language: "python" });
    expect(p).toMatchObject({ name: "opencv-python", normalized: "opencv-python", module: "cv2", source: "import" });
  });

  it("reads code said to be a package.json: a whole document by its sections, a piece of one by its entries", () => {
    const whole = '{"name":"web","version":"1.0.0","scripts":{"build":"tsc"},"dependencies":{"express":"^4.19.2"},"devDependencies":{"vitest":"^2.0.0"}}';
    expect(names(checker.extract({ code: whole, language: "package_json" }))).toEqual(["npm:express", "npm:vitest"]);
    // What an editor completes inside "dependencies": entries without the braces around them.
    const piece = ['    "lodash": "^4.17.21",', '    "left-pad": "1.3.0"', "  },", '  "scripts": { "test": "vitest" },', '  "version": "2.0.0"'].join("\n");
    expect(checker.extract({ code: piece, language: "package_json" }).map((p) => [p.name, p.source, p.line])).toEqual([
      ["lodash", "package_json", 1], ["left-pad", "package_json", 2],
    ]);
    // The same lines in an answer's prose are no manifest.
    expect(checker.extract({ text: piece })).toEqual([]);
  });

  it("strips versions and extras from list input", () => {
    expect(names(checker.extract({ packages: ["Django==4.2", "celery[redis]>=5"], ecosystem: "pypi" }))).toEqual(["pypi:django", "pypi:celery"]);
    expect(names(checker.extract({ packages: ["@scope/pkg@^3", "lodash@latest"], ecosystem: "npm" }))).toEqual(["npm:@scope/pkg", "npm:lodash"]);
  });

  it("ignores npm/yarn options the paper's parser had to skip", () => {
    const opts = readFileSync(join(import.meta.dirname, "..", "fixtures", "paper", "Javascript_options.csv"), "utf8").split("\n").filter(Boolean);
    for (const o of opts) {
      const found = names(checker.extract({ text: `\`\`\`bash\nnpm install express ${o}\nyarn add ${o} lodash\n\`\`\`` }));
      expect(found, o).toContain("npm:express");
      expect(found.some((n) => n.includes("--")), o).toBe(false);
    }
  });

  it("stays linear on hostile 100-400 KB inputs (no regex backtracking blow-up)", () => {
    const n = 40_000;
    const hostile = [
      "```js\n" + "import ".repeat(n) + "\n```",
      "```js\n" + "export a, ".repeat(n) + "\n```",
      "```" + "a".repeat(n * 2) + "`\n",
      "x" + " a.py".repeat(n / 2),
      "pip install " + "a".repeat(n * 2) + "!",
      "```requirements.txt\n" + "a".repeat(n * 2) + "!\n```",
      "Use pip " + "install ".repeat(n),
    ];
    for (const text of hostile) {
      const t0 = performance.now();
      checker.extract({ text });
      expect(performance.now() - t0, text.slice(0, 30)).toBeLessThan(3000);
    }
  });

  it.each([
    ["Python_false_positive_packages.csv", "pip install", "pypi"],
    ["Javascript_false_positive_packages.csv", "npm install", "npm"],
  ] as const)("never emits an artefact from %s", (file, cmd, eco) => {
    const artefacts = new Set(paperList(file).filter((n) => !isValidName(eco, n)));
    expect(artefacts.size).toBeGreaterThan(1000);
    // Put every artefact where the paper met it: after an install command, in code, as an import.
    const emitted: string[] = [];
    for (const a of artefacts) {
      const text = `\`\`\`bash\n${cmd} ${a}\n\`\`\`\n\n\`\`\`${eco === "pypi" ? "python" : "js"}\n${eco === "pypi" ? `import ${a}` : `require("${a}")`}\n\`\`\``;
      for (const p of checker.extract({ text })) if (artefacts.has(p.name) || !isValidName(eco, p.name)) emitted.push(`${a} → ${p.name}`);
    }
    expect(emitted).toEqual([]);
  });
});
