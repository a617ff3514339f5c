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
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

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
  status: "exited" | "timeout" | "output_limit" | "signal";
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

function prlimitArgs(limits: SandboxLimits, nprocBase: number): string[] {
  return [
    `--cpu=${limits.cpuSeconds}`,
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

export async function runSandboxed(input: RunInput): Promise<SandboxResult> {
  const limits = SandboxLimitsSchema.parse(input.limits ?? {});
  const plan = input.mode === "unsandboxed" ? fallbackPlan() : detectSandbox();
  const { inner, mem } = memoryArgs(input.argv, limits);
  const { argv, cwd, cleanup } = plan.build(inner, limits, mem);
  const t0 = performance.now();
  // An empty environment outside too: prlimit/setpriv/bwrap need nothing from ours.
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" }, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let total = 0;
  let status: SandboxResult["status"] = "exited";
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  const take = (which: "out" | "err") => (chunk: Buffer) => {
    total += chunk.length;
    if (total > limits.maxOutputBytes) {
      if (status === "exited") status = "output_limit";
      killGroup();
      return;
    }
    if (which === "out") out += chunk.toString("utf8");
    else err += chunk.toString("utf8");
  };
  child.stdout.on("data", take("out"));
  child.stderr.on("data", take("err"));
  child.stdin.on("error", () => undefined);
  child.stdin.end(input.stdin);
  const timer = setTimeout(() => {
    if (status === "exited") status = "timeout";
    killGroup();
  }, limits.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    child.on("close", (c, s) => resolve([c, s]));
    child.on("error", () => resolve([null, null]));
  });
  clearTimeout(timer);
  cleanup?.();
  if (status === "exited" && signal) status = "signal";
  return { status, exitCode: code, signal, stdout: out, stderr: err, durationMs: performance.now() - t0, sandbox: plan.mode };
}
