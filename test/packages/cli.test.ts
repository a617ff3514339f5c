/**
 * `slopguard check` as a user runs it: a real child process reading a file or stdin,
 * with its exit code, against the snapshot offline and a fake registry on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

const root = join(import.meta.dirname, "..", "..");
let dir: string;
let reg: FakeRegistry;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "slopguard-cli-"));
  reg = await startFakeRegistry();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await reg.close();
});

function run(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const tsx = import.meta.resolve("tsx");
    const child = spawn(process.execPath, ["--import", tsx, join(root, "src", "cli.ts"), "check", ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

// Each run is a real `node src/cli.ts` process (~5-10 s to import every command on a loaded 2-core box).
describe.concurrent("slopguard check", { timeout: 180_000 }, () => {
  it("reads stdin, prints a table and exits 1 on a hallucination", async () => {
    const r = await run(["--offline"], "```bash\npip install requests reqeusts\n```\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/reqeusts\s+pypi\s+install:2\s+NOT FOUND \(snapshot\)/);
    expect(r.stdout).toContain("did you mean 'requests'?");
    expect(r.stdout).toContain("2 packages: 1 exist, 1 not found, 0 unknown, 0 risky → hallucination");
  });

  it("exits 0 on a clean Python file and prints JSON on request", async () => {
    const file = join(dir, "app.py");
    writeFileSync(file, "import os\nimport cv2\nfrom sklearn import svm\n");
    const r = await run([file, "--offline", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.verdict).toBe("clean");
    expect(report.packages.map((p: { normalized: string }) => p.normalized)).toEqual(["opencv-python", "scikit-learn"]);
  });

  it("asks the configured npm registry and exits 1 on a risky (brand-new) package", async () => {
    reg.npm.set("fresh-invented-zz", { created: new Date().toISOString() });
    const r = await run(["-", "--ecosystem", "npm", "--npm-registry", reg.url, "--pypi-index", `${reg.url}simple/`], "```js\nconst x = require('fresh-invented-zz');\n```\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/! fresh-invented-zz\s+npm\s+import:2\s+ok \(registry\)/);
    expect(r.stdout).toContain("→ risk");
    expect(reg.requests).toContain("/fresh-invented-zz");
  });

  it("--fail-on high lets medium risks (a typosquat) pass but not hallucinations", async () => {
    const [squat, strict, invented] = await Promise.all([
      run(["--offline", "--fail-on", "high"], "pip install panda\n"),
      run(["--offline"], "pip install panda\n"),
      run(["--offline", "--fail-on", "high"], "pip install pandas-invented-zz\n"),
    ]);
    expect(squat.stdout).toContain("typosquat: within 1 edit of 'pandas'");
    expect(squat.code).toBe(0);
    expect(strict.code).toBe(1);
    expect(invented.code).toBe(1);
  });

  it("rejects a bad --ecosystem with exit 2", async () => {
    const r = await run(["--ecosystem", "maven"], "x");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--ecosystem must be pypi or npm");
  });
});
