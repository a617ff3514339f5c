/**
 * The agent install cache: one install when several callers ask at once, a lock
 * left by a dead process taken over, and a failed install leaving nothing behind.
 * The installs here write a tiny executable instead of calling npm.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { installOnce, type CachedInstall } from "./install.js";

let cache: string;
beforeEach(async () => {
  cache = await fs.mkdtemp(path.join(os.tmpdir(), "agent-cache-"));
});
afterEach(async () => {
  await fs.rm(cache, { recursive: true, force: true });
});

function fakeInstall(calls: string[], opts: { delayMs?: number; fail?: boolean } = {}): CachedInstall {
  return {
    target: path.join(cache, "tool-1.0.0"),
    bin: "bin/tool",
    timeoutMs: 10_000,
    install: async (staging) => {
      calls.push(staging);
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 0));
      if (opts.fail) throw new Error("registry said no");
      await fs.mkdir(path.join(staging, "bin"));
      await fs.writeFile(path.join(staging, "bin/tool"), "#!/bin/sh\necho tool 1.0.0\n", { mode: 0o755 });
    },
  };
}

it("installs once when several callers ask at the same time; the others wait and reuse it", async () => {
  const calls: string[] = [];
  const results = await Promise.all([1, 2, 3].map(() => installOnce(fakeInstall(calls, { delayMs: 300 }))));
  expect(calls).toHaveLength(1);
  expect(results.map((r) => r.version)).toEqual(["tool 1.0.0", "tool 1.0.0", "tool 1.0.0"]);
  expect(results.filter((r) => r.installMs > 0)).toHaveLength(1);
  expect(new Set(results.map((r) => r.binPath))).toEqual(new Set([path.join(cache, "tool-1.0.0/bin/tool")]));
  expect((await fs.readdir(cache)).sort()).toEqual(["tool-1.0.0"]);
  // A later run finds it in the cache.
  expect((await installOnce(fakeInstall(calls))).installMs).toBe(0);
  expect(calls).toHaveLength(1);
});

it("takes over a lock whose owner died", async () => {
  const dead = spawnSync("true").pid!;
  await fs.mkdir(path.join(cache, "tool-1.0.0.lock"));
  await fs.writeFile(path.join(cache, "tool-1.0.0.lock/pid"), String(dead));
  const calls: string[] = [];
  const r = await installOnce(fakeInstall(calls));
  expect(calls).toHaveLength(1);
  expect(r.version).toBe("tool 1.0.0");
});

it("a failed install leaves no directory behind and releases the lock for the next try", async () => {
  const calls: string[] = [];
  await expect(installOnce(fakeInstall(calls, { fail: true }))).rejects.toThrow("registry said no");
  expect(await fs.readdir(cache)).toEqual([]);
  const r = await installOnce(fakeInstall(calls));
  expect(r.installMs).toBeGreaterThan(0);
  expect(calls).toHaveLength(2);
});
