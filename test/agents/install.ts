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

/** Installs `agent` (or finds it in the cache) and returns its executable. */
export async function installAgent(agent: AgentPackage, options: { timeoutMs?: number } = {}): Promise<InstalledAgent> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const cache = agentCacheDir();
  const target = path.join(cache, `${agent.dir}-${agent.version}`);
  const binPath = path.join(target, "node_modules", ".bin", agent.bin);
  if (await exists(binPath)) return { binPath, installMs: 0, version: await versionOf(binPath) };
  await fs.mkdir(cache, { recursive: true });
  const release = await acquire(`${target}.lock`, timeoutMs);
  try {
    if (await exists(binPath)) return { binPath, installMs: 0, version: await versionOf(binPath) };
    const started = Date.now();
    const staging = `${target}.staging-${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true });
    try {
      await run("npm", ["install", "--prefix", staging, "--no-audit", "--no-fund", "--no-save", "--loglevel=error", `${agent.pkg}@${agent.version}`], {
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
      await versionOf(path.join(staging, "node_modules", ".bin", agent.bin));
      await fs.rename(staging, target);
    } catch (err) {
      await fs.rm(staging, { recursive: true, force: true });
      throw new Error(`installing ${agent.pkg}@${agent.version} failed: ${(err as Error).message}`);
    }
    return { binPath, installMs: Date.now() - started, version: await versionOf(binPath) };
  } finally {
    await release();
  }
}
