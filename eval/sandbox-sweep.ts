/**
 * Finds and kills every process a fallback-mode (no bubblewrap) run left behind.
 * Without a pid namespace nothing takes a program's children down with it: a child
 * that calls `setsid()` (Python's `start_new_session=True`, Node's `detached: true`)
 * leaves the process group that `kill(-pgid)` reaches, and as long as it holds the
 * run's stdout pipe the run never sees 'close'. A run's processes are recognised in
 * /proc by any of three marks a child inherits: the session of the run's leader,
 * a random marker in the environment, or one of the run's stdio pipes. A program
 * that sheds all three (new session, cleared environment, closed stdio) escapes
 * this; only the bwrap mode contains that.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface RunMarks {
  /** pid of the run's leader: spawned detached, so also its session and process-group id. */
  leader: number;
  /** `NAME=value` put into the run's environment. */
  envMarker: string;
  /** `pipe:[inode]` / `socket:[inode]` of the run's stdio (Node's stdio "pipes" are socketpairs on Linux). */
  pipes: Set<string>;
}

/** The stdio pipes of a just-spawned process (read before it can close them). */
export function stdioPipes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of [0, 1, 2]) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith("pipe:") || link.startsWith("socket:")) out.add(link);
    } catch {
      /* gone already */
    }
  }
  return out;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, "latin1");
  } catch {
    return undefined;
  }
};

/** State, group and session from /proc/<pid>/stat (the command name may contain spaces and parentheses). */
function sessionOf(pid: number): { state: string; pgrp: number; session: number } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: f[0] ?? "", pgrp: Number(f[2]), session: Number(f[3]) };
}

function holdsPipe(pid: number, pipes: Set<string>): boolean {
  if (pipes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return pipes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

function belongs(pid: number, marks: RunMarks): boolean {
  const ids = sessionOf(pid);
  // A zombie is already dead (its parent has not reaped it yet); killing it again does nothing.
  if (!ids || ids.state === "Z" || ids.state === "X") return false;
  if (ids.session === marks.leader || ids.pgrp === marks.leader) return true;
  const env = read(`/proc/${pid}/environ`);
  if (env?.split("\0").includes(marks.envMarker)) return true;
  return holdsPipe(pid, marks.pipes);
}

export function findRunProcesses(marks: RunMarks): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    if (belongs(pid, marks)) out.push(pid);
  }
  return out;
}

/**
 * SIGKILLs the run's processes until a scan finds none (a process may fork between
 * a scan and its kill; its child carries the same marks and is found next round).
 * Returns how many processes were killed.
 */
export function sweepRun(marks: RunMarks, maxRounds = 20): number {
  let killed = 0;
  for (let round = 0; round < maxRounds; round++) {
    const found = findRunProcesses(marks);
    if (found.length === 0) break;
    for (const pid of found) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return killed;
}
