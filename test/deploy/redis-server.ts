/**
 * A real redis-server (Debian package) on 127.0.0.1, for the multi-replica tests.
 * redis-server cannot report a port it picked itself, so we take a free one from
 * the kernel first and retry on the rare collision.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  url: string;
  port: number;
  /** The running server's process id (changes on restart). */
  pid(): number | undefined;
  /** SIGKILL, as an outage would: no goodbye to clients. */
  kill(): Promise<void>;
  /** Starts again on the same port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "notice"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server did not start: ${output}`));
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
}

async function waitExit(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "slopguard-redis-"));
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch(port, dir).catch(() => undefined);
  }
  if (!child) throw new Error("could not start redis-server on a free port");
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    pid: () => child?.pid,
    kill: () => waitExit(child, "SIGKILL"),
    restart: async () => {
      await waitExit(child, "SIGKILL");
      child = await launch(port, dir);
    },
    stop: async () => {
      await waitExit(child, "SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits out the last seconds of a rate-limit minute, so that a burst asserting "exactly N
 * admitted" does not straddle two windows, where the sliding window's decaying weight of
 * the previous minute would legitimately admit one more.
 */
export async function clearOfWindowEdge(marginMs = 5000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
