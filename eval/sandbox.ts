/**
 * Runs untrusted generated code. Preferred: bubblewrap with every namespace unshared
 * (no network), only the system directories bound read-only, a size-capped private
 * tmpfs as the work directory, a cleared environment, and rlimits (CPU time, address
 * space, processes, file size, open files) applied by prlimit before bwrap starts.
 * When running as root the sandbox first drops to `nobody` (setpriv): the kernel
 * never enforces RLIMIT_NPROC for root, so without this a fork bomb is unbounded.
 * Where bwrap cannot run, the same rlimits and timeout apply without namespaces and
 * every result says `sandbox: "unsandboxed"`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { stdioPipes, sweepRun, type RunMarks } from "./sandbox-sweep.js";

export const SandboxLimitsSchema = z.strictObject({
  /** Wall-clock timeout; HumanEval's slowest canonical tasks take ~1-2 s on a busy 2-core box. */
  timeoutMs: z.number().int().positive().default(15_000),
  cpuSeconds: z.number().int().positive().default(10),
  /** Address-space limit (RLIMIT_AS) for Python; Node reserves large virtual ranges, so it gets its heap flag instead. */
  memoryBytes: z.number().int().positive().default(1024 * 1024 * 1024),
  /** Tasks (threads count: Node alone starts ~11) above those the sandbox uid already has. */
  maxProcesses: z.number().int().positive().default(64),
  /** Combined stdout+stderr kept; more kills the process. Also the per-file size limit. */
  maxOutputBytes: z.number().int().positive().default(1024 * 1024),
  tmpfsBytes: z.number().int().positive().default(64 * 1024 * 1024),
});
export type SandboxLimits = z.infer<typeof SandboxLimitsSchema>;

export type SandboxMode = "bwrap" | "unsandboxed";

export interface SandboxResult {
  /** `timeout`: the wall-clock limit or the CPU limit (see `limit`) stopped the program. */
  status: "exited" | "timeout" | "output_limit" | "signal";
  /** Which limit a `timeout` hit. */
  limit?: "wall" | "cpu";
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  sandbox: SandboxMode;
}

export interface RunInput {
  /** argv inside the sandbox, e.g. ["/usr/bin/python3", "-"]. */
  argv: string[];
  /** Program text fed on stdin (so nothing has to be written where the sandbox can see it). */
  stdin: string;
  limits?: Partial<SandboxLimits>;
  /** Force a mode (tests); default: detected. */
  mode?: SandboxMode;
}

const NOBODY = 65534;
const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Read-only system binds; `/work`, `/root`, `/home` and the like stay invisible. */
const RO_DIRS = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf"];

function bwrapArgs(limits: SandboxLimits): string[] {
  const args = ["--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"];
  for (const d of RO_DIRS) if (existsSync(d)) args.push("--ro-bind", d, d);
  args.push("--proc", "/proc", "--dev", "/dev", "--size", String(limits.tmpfsBytes), "--tmpfs", "/tmp");
  // bwrap's own root is a scratch tmpfs (where /etc etc. are created); make it read-only too.
  args.push("--remount-ro", "/");
  args.push("--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8", "--chdir", "/tmp");
  return args;
}

/**
 * The CPU soft limit sends SIGXCPU, which tells a CPU-limit kill apart from any other
 * SIGKILL (bwrap reports its child's death by signal n as exit code 128 + n, so a plain
 * SIGKILL at the limit read as "exited 137"); the hard limit a second later kills a
 * program that ignores SIGXCPU.
 */
function prlimitArgs(limits: SandboxLimits, nprocBase: number): string[] {
  return [
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--nproc=${nprocBase + limits.maxProcesses}`,
    `--fsize=${limits.maxOutputBytes}`,
    "--nofile=256",
    "--core=0",
  ];
}

/**
 * RLIMIT_NPROC counts every task (threads too) of the real uid, including zombies that a
 * slow container init has not reaped yet, so the limit is set as headroom above the count.
 */
function processCountOf(uid: number): number {
  const r = spawnSync("ps", ["-L", "-U", String(uid), "-o", "lwp="], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n").filter(Boolean).length : 0;
}

interface Plan {
  mode: SandboxMode;
  /** Builds the full host argv for one run. */
  build(inner: string[], limits: SandboxLimits, memFlag: string[]): { argv: string[]; cwd?: string; cleanup?: () => void };
}

function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function bwrapPlan(dropToNobody: boolean): Plan {
  const uidArgs = dropToNobody ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"] : [];
  const uid = dropToNobody ? NOBODY : (process.getuid?.() ?? 0);
  return {
    mode: "bwrap",
    build: (inner, limits, mem) => ({
      argv: ["prlimit", ...prlimitArgs(limits, processCountOf(uid)), ...mem, "--", ...uidArgs, "bwrap", ...bwrapArgs(limits), "--", ...inner],
    }),
  };
}

function fallbackPlan(): Plan {
  const drop = isRoot() && hasCommand("setpriv");
  const uid = drop ? NOBODY : (process.getuid?.() ?? 0);
  return {
    mode: "unsandboxed",
    build: (inner, limits, mem) => {
      const dir = mkdtempSync(join(tmpdir(), "slopguard-sbx-"));
      chmodSync(dir, 0o777);
      const uidArgs = drop ? ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"] : [];
      return {
        argv: ["prlimit", ...prlimitArgs(limits, processCountOf(uid)), ...mem, "--", ...uidArgs, ...inner],
        cwd: dir,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  };
}

let detected: Plan | undefined;

/** Probes once per process: bwrap as nobody (root), bwrap as ourselves, else the fallback. */
export function detectSandbox(): Plan {
  if (detected) return detected;
  const candidates: Plan[] = [];
  if (hasCommand("bwrap") && hasCommand("prlimit")) {
    if (isRoot() && hasCommand("setpriv")) candidates.push(bwrapPlan(true));
    candidates.push(bwrapPlan(false));
  }
  const limits = SandboxLimitsSchema.parse({});
  for (const plan of candidates) {
    const { argv } = plan.build(["/bin/true"], limits, []);
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: "ignore", timeout: 10_000 });
    if (r.status === 0) return (detected = plan);
  }
  if (!hasCommand("prlimit")) throw new Error("the eval sandbox needs prlimit (util-linux) at least");
  return (detected = fallbackPlan());
}

export function sandboxMode(): SandboxMode {
  return detectSandbox().mode;
}

/** Node reserves far more address space than it uses, so RLIMIT_AS is only applied to other interpreters. */
function memoryArgs(argv: string[], limits: SandboxLimits): { inner: string[]; mem: string[] } {
  const isNode = /(^|\/)node$/.test(argv[0] ?? "");
  if (!isNode) return { inner: argv, mem: [`--as=${limits.memoryBytes}`] };
  const mb = Math.max(64, Math.floor(limits.memoryBytes / 1024 / 1024));
  return { inner: [argv[0]!, `--max-old-space-size=${mb}`, ...argv.slice(1)], mem: [`--data=${limits.memoryBytes * 2}`] };
}

const SIGXCPU = 24;
const SIGKILL = 9;
/** How long a run waits for its pipes to close once every process of it is dead. */
const CLOSE_WAIT_MS = 2_000;

export async function runSandboxed(input: RunInput): Promise<SandboxResult> {
  const limits = SandboxLimitsSchema.parse(input.limits ?? {});
  const plan = input.mode === "unsandboxed" ? fallbackPlan() : detectSandbox();
  const { inner, mem } = memoryArgs(input.argv, limits);
  const { argv, cwd, cleanup } = plan.build(inner, limits, mem);
  const t0 = performance.now();
  // Without bwrap's pid namespace, leftovers are found by this marker (among others) and killed.
  const envMarker = `SLOPGUARD_SANDBOX_RUN=${randomBytes(12).toString("hex")}`;
  const env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" };
  if (plan.mode === "unsandboxed") env[envMarker.split("=")[0]!] = envMarker.split("=")[1];
  // An empty environment outside too: prlimit/setpriv/bwrap need nothing from ours.
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  const marks: RunMarks | undefined = plan.mode === "unsandboxed" && child.pid ? { leader: child.pid, envMarker, pipes: stdioPipes(child.pid) } : undefined;
  let out = "";
  let err = "";
  let total = 0;
  let status: SandboxResult["status"] = "exited";
  let limit: SandboxResult["limit"];
  const killAll = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    if (marks) sweepRun(marks);
  };
  const take = (which: "out" | "err") => (chunk: Buffer) => {
    total += chunk.length;
    if (total > limits.maxOutputBytes) {
      if (status === "exited") status = "output_limit";
      killAll();
      return;
    }
    if (which === "out") out += chunk.toString("utf8");
    else err += chunk.toString("utf8");
  };
  child.stdout!.on("data", take("out"));
  child.stderr!.on("data", take("err"));
  child.stdin!.on("error", () => undefined);
  child.stdin!.end(input.stdin);
  const timer = setTimeout(() => {
    if (status === "exited") [status, limit] = ["timeout", "wall"];
    killAll();
  }, limits.timeoutMs);
  const [code, signal] = await finished(child, () => {
    // The program is done: whatever it started goes with it, as in bwrap's pid namespace.
    if (marks) sweepRun(marks);
  });
  clearTimeout(timer);
  cleanup?.();
  const durationMs = performance.now() - t0;
  if (status === "exited" && hitCpuLimit({ code, signal, durationMs, limits, bwrap: plan.mode === "bwrap" })) [status, limit] = ["timeout", "cpu"];
  if (status === "exited" && signal) status = "signal";
  return { status, ...(limit ? { limit } : {}), exitCode: code, signal, stdout: out, stderr: err, durationMs, sandbox: plan.mode };
}

/**
 * Resolves with the leader's exit status once its output is read to the end. `onExit`
 * kills what the leader left behind; a survivor that still holds the pipes then (see
 * sandbox-sweep.ts for the one that can) gets its pipes closed on it after CLOSE_WAIT_MS.
 */
function finished(child: ChildProcess, onExit: () => void): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => {
    child.on("error", () => resolve([null, null]));
    child.on("exit", (code, signal) => {
      onExit();
      const force = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve([code, signal]);
      }, CLOSE_WAIT_MS);
      child.on("close", () => {
        clearTimeout(force);
        resolve([code, signal]);
      });
    });
  });
}

/** SIGXCPU at the soft limit; SIGKILL at the hard one when the program ignored SIGXCPU (it then ran ≥ the limit). */
function hitCpuLimit(r: { code: number | null; signal: NodeJS.Signals | null; durationMs: number; limits: SandboxLimits; bwrap: boolean }): boolean {
  const sig = r.signal ? (r.signal === "SIGXCPU" ? SIGXCPU : r.signal === "SIGKILL" ? SIGKILL : 0) : r.bwrap && r.code !== null && r.code > 128 ? r.code - 128 : 0;
  if (sig === SIGXCPU) return true;
  return sig === SIGKILL && r.durationMs >= (r.limits.cpuSeconds + 1) * 1000;
}
