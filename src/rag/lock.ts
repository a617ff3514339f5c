/**
 * One builder per local index: gateways started side by side (replicas, tests, a
 * developer's `npm start`) would otherwise all build the missing default index into
 * the same folder and LanceDB rejects the conflicting commits. Object stores get no
 * lock: there, build once with `slopguard rag-index build` before starting replicas.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryAcquire(file: string): boolean {
  try {
    const fd = openSync(file, "wx");
    writeSync(fd, `${process.pid} ${os.hostname()}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const [pid, host] = readFileSync(file, "utf8").trim().split(" ");
    // A holder on this host that has died leaves a stale lock: take it over.
    if (host === os.hostname() && !alive(Number(pid))) rmSync(file, { force: true });
    return false;
  }
}

export async function withBuildLock<T>(
  indexUri: string,
  fn: () => Promise<T>,
  opts: { pollMs?: number; onWait?: () => void } = {},
): Promise<T> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(indexUri)) return fn();
  mkdirSync(indexUri, { recursive: true });
  const file = path.join(indexUri, ".build.lock");
  let warned = false;
  while (!tryAcquire(file)) {
    if (!warned) opts.onWait?.();
    warned = true;
    await sleep(opts.pollMs ?? 2000);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
