/**
 * The eval sandbox's two defects from the hostile run: in the fallback mode (no
 * bubblewrap) a child that leaves the process group or session outlived the run and
 * `runSandboxed` never returned (it waited for the pipes the child still held); and
 * a program killed at the CPU limit was reported as `exited` with code 137.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runSandboxed, sandboxMode } from "../../eval/sandbox.js";

/** pids of processes whose argv carries `marker` (other test files run sandboxes meanwhile). */
function survivors(marker: string): number[] {
  return execFileSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(marker) && !/^\s*\d+\s+Z/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

const sleeper = (marker: string) => `[sys.executable, "-c", "import time; time.sleep(60)", "${marker}"]`;

const ESCAPES: Array<[string, (marker: string) => string]> = [
  ["a child in a new session (start_new_session=True)", (m) => `import subprocess, sys\nsubprocess.Popen(${sleeper(m)}, start_new_session=True)\nprint("parent done", flush=True)\n`],
  ["a double-forked daemon in a new session", (m) => `import os, sys\nif os.fork() == 0:\n  os.setsid()\n  if os.fork() == 0:\n    os.execv(sys.executable, ${sleeper(m)})\n  os._exit(0)\nprint("parent done", flush=True)\n`],
  ["a child in a new process group", (m) => `import os, subprocess, sys\nsubprocess.Popen(${sleeper(m)}, preexec_fn=lambda: os.setpgid(0, 0))\nprint("parent done", flush=True)\n`],
  ["a new-session child with a cleared environment", (m) => `import subprocess, sys\nsubprocess.Popen(${sleeper(m)}, start_new_session=True, env={})\nprint("parent done", flush=True)\n`],
  ["a new-session child that keeps running past the wall-clock limit", (m) => `import subprocess, sys, time\nsubprocess.Popen(${sleeper(m)}, start_new_session=True)\ntime.sleep(60)\n`],
];

describe("fallback mode (no bubblewrap): nothing outlives a run", () => {
  it.each(ESCAPES)("%s: runSandboxed returns and the child is gone", async (_name, program) => {
    const marker = `sbx-escape-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const t0 = Date.now();
    const r = await runSandboxed({ argv: ["/usr/bin/python3", "-"], stdin: program(marker), mode: "unsandboxed", limits: { timeoutMs: 1_500 } });
    const ms = Date.now() - t0;
    try {
      expect(r.sandbox).toBe("unsandboxed");
      expect(ms).toBeLessThan(8_000);
      if (r.status === "exited") expect(r.stdout).toContain("parent done");
      else expect(r).toMatchObject({ status: "timeout", limit: "wall" });
      await new Promise((res) => setTimeout(res, 200));
      expect(survivors(marker)).toEqual([]);
    } finally {
      for (const pid of survivors(marker)) process.kill(pid, "SIGKILL");
    }
  });
});

const modes = (["unsandboxed", ...(sandboxMode() === "bwrap" ? ["bwrap"] : [])] as const).map((m) => [m]);

describe("the CPU limit is a timeout", () => {
  const run = (mode: string, stdin: string, cpuSeconds = 1) =>
    runSandboxed({ argv: ["/usr/bin/python3", "-"], stdin, ...(mode === "unsandboxed" ? { mode: "unsandboxed" as const } : {}), limits: { cpuSeconds, timeoutMs: 30_000 } });

  it.each(modes)("%s: a busy loop stopped at the CPU limit is status timeout, limit cpu", async (mode) => {
    const r = await run(mode, "while True:\n  pass\n");
    expect(r).toMatchObject({ status: "timeout", limit: "cpu" });
    expect(r.durationMs).toBeLessThan(20_000);
  });

  it.each(modes)("%s: a loop that ignores SIGXCPU is killed at the hard limit and still reported as a CPU timeout", async (mode) => {
    const r = await run(mode, "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n  pass\n");
    expect(r).toMatchObject({ status: "timeout", limit: "cpu" });
  });

  it.each(modes)("%s: a program that kills itself quickly is not a timeout", async (mode) => {
    const r = await run(mode, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", 5);
    expect(r.status).not.toBe("timeout");
    expect(r.limit).toBeUndefined();
  });
});
