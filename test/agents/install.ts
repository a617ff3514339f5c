/**
 * Installs a pinned agent CLI from the npm registry into a cache directory under
 * the OS temp dir, once per machine: `<cache>/<dir>-<version>`. The agents are
 * never dependencies of slopguard; tests install them when they run.
 *
 * Safe when several test files (vitest workers) ask at once: an install holds a
 * lock directory (mkdir is atomic) that names its pid, so a waiter takes over a
 * lock whose owner died; the package goes into a staging directory that is
 * renamed into place only after the CLI answered `--version`, so a half-finished
 * install is never used.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AgentPackage {
  /** npm package name. */
  pkg: string;
  version: string;
  /** The executable's name under node_modules/.bin. */
  bin: string;
  /** Short name for the cache directory. */
  dir: string;
}

export interface InstalledAgent {
  /** Absolute path of the CLI executable. */
  binPath: string;
  /** Milliseconds this call spent installing (0 when the cache already had it). */
  installMs: number;
  /** The `--version` output. */
  version: string;
}

/** `SLOPGUARD_AGENT_CACHE` moves the cache (e.g. to a CI cache volume). */
export function agentCacheDir(): string {
  return process.env.SLOPGUARD_AGENT_CACHE ?? path.join(os.tmpdir(), "slopguard-agents");
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock directory, waiting for a live owner and taking over from a dead one. */
async function acquire(lock: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fs.mkdir(lock);
      await fs.writeFile(path.join(lock, "pid"), String(process.pid));
      return () => fs.rm(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number(await fs.readFile(path.join(lock, "pid"), "utf8").catch(() => "0"));
    // No pid yet means the owner is between mkdir and writeFile: give it a moment.
    if (owner && !alive(owner)) await fs.rm(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the install lock ${lock}`);
    await sleep(250);
  }
}

async function versionOf(binPath: string): Promise<string> {
  // Each CLI prints its version without touching the network or its home.
  const home = await fs.mkdtemp(path.join(os.tmpdir(), "agent-version-"));
  try {
    const { stdout } = await run(binPath, ["--version"], { timeout: 60_000, env: { PATH: process.env.PATH ?? "", HOME: home } });
    return stdout.trim();
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
}

export interface CachedInstall {
  /** The final directory, e.g. `<cache>/qwen-code-0.24.4`. */
  target: string;
  /** The executable, relative to the directory. */
  bin: string;
  /** Fills a staging directory; it is renamed to `target` once its `bin` answers `--version`. */
  install(staging: string): Promise<void>;
  timeoutMs?: number;
}

/** Installs into `target` once, under the lock, unless it is already there. */
export async function installOnce(spec: CachedInstall): Promise<InstalledAgent> {
  const timeoutMs = spec.timeoutMs ?? 300_000;
  const binPath = path.join(spec.target, spec.bin);
  const cached = async () => ({ binPath, installMs: 0, version: await versionOf(binPath) });
  if (await exists(binPath)) return cached();
  await fs.mkdir(path.dirname(spec.target), { recursive: true });
  const release = await acquire(`${spec.target}.lock`, timeoutMs);
  try {
    if (await exists(binPath)) return await cached();
    const started = Date.now();
    const staging = `${spec.target}.staging-${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true });
    try {
      await spec.install(staging);
      await versionOf(path.join(staging, spec.bin));
      await fs.rename(staging, spec.target);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      throw err;
    }
    return { binPath, installMs: Date.now() - started, version: await versionOf(binPath) };
  } finally {
    await release();
  }
}

/** Installs `agent` from the npm registry (or finds it in the cache) and returns its executable. */
export async function installAgent(agent: AgentPackage, options: { timeoutMs?: number } = {}): Promise<InstalledAgent> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const spec = `${agent.pkg}@${agent.version}`;
  try {
    return await installOnce({
      target: path.join(agentCacheDir(), `${agent.dir}-${agent.version}`),
      bin: path.join("node_modules", ".bin", agent.bin),
      timeoutMs,
      install: async (staging) => {
        await run("npm", ["install", "--prefix", staging, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", spec], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
      },
    });
  } catch (err) {
    throw new Error(`installing ${spec} failed: ${(err as Error).message}`);
  }
}
