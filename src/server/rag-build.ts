/**
 * First-start build of the default RAG index, in a child process at low CPU
 * priority: reading and writing 67k packages (and, for vector modes, embedding them) would
 * otherwise block the gateway's event loop and slow every request while it runs.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { indexServes } from "../rag/index.js";
import { readManifest } from "../rag/manifest.js";
import type { RagConfig } from "../rag/config.js";
import { connectIndex } from "../rag/store.js";
import type { Logger } from "../util/log.js";
import { projectRoot } from "../util/paths.js";

export async function indexIsComplete(rag: RagConfig): Promise<boolean> {
  const db = await connectIndex(rag);
  try {
    const manifest = await readManifest(db);
    return indexServes(manifest, rag);
  } finally {
    db.close();
  }
}

/** `slopguard rag-index build` as a child of this process: compiled entry when running from dist/, tsx otherwise. */
function cliCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const root = projectRoot();
  const compiled = path.join(root, "dist", "src", "cli.js");
  if (here.endsWith(".js") && existsSync(compiled)) return [compiled];
  return ["--import", "tsx", path.join(root, "src", "cli.ts")];
}

/** Resolves when the child built the index; `signal` (gateway shutdown) kills it. */
export function buildIndexInChild(rag: RagConfig, logger: Logger, signal: AbortSignal): Promise<void> {
  const args = [...cliCommand(), "rag-index", "build", "--index", rag.indexUri, "--data", rag.dataDir, "--model", rag.embedder.model, "--mode", rag.mode];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: projectRoot(), stdio: ["ignore", "ignore", "pipe"], env: process.env });
    try {
      if (child.pid) setPriority(child.pid, 10);
    } catch {
      // Lowering priority is best effort (not permitted in some containers).
    }
    logger.info("rag index build started", { pid: child.pid, indexUri: rag.indexUri });
    let tail = "";
    child.stderr.on("data", (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
    const stop = () => child.kill("SIGTERM");
    process.once("exit", stop);
    signal.addEventListener("abort", stop, { once: true });
    child.once("error", reject);
    child.once("exit", (code) => {
      process.off("exit", stop);
      signal.removeEventListener("abort", stop);
      if (signal.aborted) return reject(new Error("rag index build stopped: the gateway is shutting down"));
      if (code === 0) {
        logger.info("rag index built", { ms: Math.round(performance.now() - t0) });
        resolve();
      } else {
        const lines = tail.split("\n").filter((l) => l.trim() && !/^\s+at /.test(l) && !l.startsWith("Node.js"));
        reject(new Error(`rag-index build exited with ${code}: ${lines.slice(-2).join(" | ")}`));
      }
    });
  });
}
