/**
 * A Python virtualenv with some packages from the machine's pip index (its mirror or
 * wheel cache when offline), made once per machine under the OS temp dir and reused:
 * `<tmp>/slopguard-python/<name>`. The SDK tests run real Python clients against the
 * gateway with it; they skip, saying why, when Python or a package cannot be had.
 *
 * A venv is built in a staging dir and renamed into place only once every package
 * imports, so a half-built one is never used; two test files racing both build, and
 * the second rename loses harmlessly.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type PythonVenv = { python: string; versions: Record<string, string> } | { skip: string };

export async function pythonWithPackages(name: string, packages: string[]): Promise<PythonVenv> {
  const root = path.join(os.tmpdir(), "slopguard-python");
  const dir = path.join(root, name);
  const python = path.join(dir, "bin", "python");
  const versions = async (py: string) => {
    const code = `import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in ${JSON.stringify(packages)}}))`;
    return JSON.parse((await run(py, ["-c", code])).stdout) as Record<string, string>;
  };
  try {
    return { python, versions: await versions(python) };
  } catch {
    // Not there yet (or broken): build it.
  }
  await fs.mkdir(root, { recursive: true });
  const staging = await fs.mkdtemp(path.join(root, `${name}-staging-`));
  try {
    await run("python3", ["-m", "venv", staging]);
    // One try per index: an index the machine cannot reach must not cost minutes of retries.
    await run(path.join(staging, "bin", "pip"), ["install", "--quiet", "--retries", "0", "--disable-pip-version-check", ...packages], { timeout: 300_000 });
    const got = await versions(path.join(staging, "bin", "python"));
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
    // The venv's scripts name the staging path; the interpreter itself does not care where it lives.
    return { python, versions: got };
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true });
    const e = err as { stderr?: string; message?: string };
    return { skip: `could not install ${packages.join(", ")} from the pip index: ${(e.stderr || e.message || String(err)).trim().split("\n").slice(-2).join(" ")}` };
  }
}
