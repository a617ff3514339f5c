/**
 * A Python virtual environment with the official SDKs (`anthropic`, `openai`) from the
 * machine's own pip index (pip's configuration: a mirror, since the public index is not
 * reachable from CI), built once per machine under the OS temp dir and reused. Tests
 * skip with a message that says why when Python or a package cannot be had.
 *
 * Safe when several test files ask at once: the venv is built in a staging dir and
 * renamed into place only after its imports work; a lock dir (mkdir is atomic) keeps a
 * second builder waiting.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type PythonSdks = { python: string } | { skip: string };

async function works(python: string, modules: string[]): Promise<boolean> {
  return run(python, ["-c", `import ${modules.join(", ")}`]).then(() => true, () => false);
}

/** `packages` are pip names that are also their import names (anthropic, openai). */
export async function pythonWithSdks(packages: string[]): Promise<PythonSdks> {
  const root = path.join(process.env.SLOPGUARD_PY_CACHE ?? path.join(os.tmpdir(), "slopguard-pyvenv"));
  const dir = path.join(root, [...packages].sort().join("+"));
  const python = path.join(dir, "bin", "python");
  if (await works(python, packages)) return { python };
  await fs.mkdir(root, { recursive: true });
  const lock = `${dir}.lock`;
  for (let waited = 0; ; waited += 500) {
    try {
      await fs.mkdir(lock);
      break;
    } catch {
      if (waited > 600_000) return { skip: `timed out waiting for ${lock}` };
      await sleep(500);
      if (await works(python, packages)) return { python };
    }
  }
  try {
    if (await works(python, packages)) return { python };
    const staging = `${dir}.staging-${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    try {
      await run("python3", ["-m", "venv", staging]);
    } catch (err) {
      return { skip: `python3 -m venv failed: ${(err as Error).message.split("\n")[0]}` };
    }
    // No retries: an index that cannot be reached (the public one, where only a mirror is) fails at once.
    const pip = path.join(staging, "bin", "pip");
    try {
      await run(pip, ["install", "--quiet", "--disable-pip-version-check", "--retries", "0", "--timeout", "5", ...packages], { timeout: 600_000 });
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      return { skip: `pip could not install ${packages.join(", ")} from this machine's index: ${(err as Error).message.split("\n").slice(-3).join(" ")}` };
    }
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
    return (await works(python, packages)) ? { python } : { skip: `${packages.join(", ")} installed but do not import` };
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

/** Runs a Python script with `env`; its last stdout line must be a JSON object. */
export async function runPython(python: string, script: string, env: Record<string, string>): Promise<any> {
  const { stdout } = await run(python, ["-c", script], { env: { ...process.env, ...env }, timeout: 60_000 });
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last);
}
