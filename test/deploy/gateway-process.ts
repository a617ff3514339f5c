/**
 * Runs `slopguard serve` as a real child process (the way a container or a pod
 * runs it) and finds its address from the "listening" log line.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Every stdout/stderr line so far, for assertions and failure messages. */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnGateway(options: {
  command: string[];
  cwd: string;
  /** Added to this process's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /** false: stop collecting output once listening (benchmarks: a log line per request). */
  keepOutput?: boolean;
}): Promise<GatewayProcess> {
  const [file, ...args] = options.command;
  const env = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(file!, args, {
    cwd: options.cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output.join("\n")}`)), options.timeoutMs ?? 60_000);
    const onLine = (chunk: Buffer): void => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        output.push(line);
        const found = /"msg":"listening".*"url":"([^"]+)"/.exec(line);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      }
    };
    child.stdout!.on("data", onLine);
    child.stderr!.on("data", onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${output.join("\n")}`));
    });
  });
  if (options.keepOutput === false) {
    child.stdout!.removeAllListeners("data").resume();
    child.stderr!.removeAllListeners("data").resume();
  }
  return {
    url,
    child,
    output,
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
