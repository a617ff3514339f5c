/**
 * Fake package managers for agent runs: `pip`, `npm`, `uv`... that record their
 * argv (one JSON line each) and exit 0, put first on the agent's PATH, so a test
 * sees exactly what the agent would have installed and nothing is installed.
 * `python`/`python3` are wrapped too: `python -m pip ...` is recorded as pip,
 * anything else runs the real interpreter.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/** The commands that install packages, as an agent would call them. */
export const FAKE_TOOLS = ["pip", "pip3", "uv", "uvx", "poetry", "pipenv", "pdm", "pipx", "conda", "mamba", "npm", "npx", "pnpm", "pnpx", "yarn", "bun", "bunx", "deno"] as const;

const recordedInstall = z.object({ tool: z.string(), argv: z.array(z.string()), cwd: z.string() });
export type RecordedInstall = z.infer<typeof recordedInstall>;

export interface FakeTools {
  /** Directory to put first on PATH. */
  binDir: string;
  /** JSON-lines log the fakes append to. */
  logPath: string;
  /** What the fakes recorded so far. */
  read(): Promise<RecordedInstall[]>;
}

// The recorder runs under the test's own node; its log path is baked in because
// agents filter the environment they give to shell commands.
const recorder = (logPath: string) => `"use strict";
const fs = require("node:fs");
const [tool, ...argv] = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(logPath)}, JSON.stringify({ tool, argv, cwd: process.cwd() }) + "\\n");
const names = argv.filter((a, i) => i > 0 && !a.startsWith("-"));
process.stdout.write(tool.startsWith("pip") || tool === "uv" || tool === "poetry"
  ? "Successfully installed " + names.join(" ") + "\\n"
  : "added " + names.length + " packages in 1s\\n");
`;

function pythonWrapper(node: string, recorderPath: string, real: string | undefined): string {
  const fallback = real ? `exec ${JSON.stringify(real)} "$@"` : `echo "python: not installed here" >&2; exit 127`;
  return `#!/bin/sh\nif [ "$1" = "-m" ] && { [ "$2" = "pip" ] || [ "$2" = "pip3" ]; }; then\n  shift 2\n  exec ${JSON.stringify(node)} ${JSON.stringify(recorderPath)} pip "$@"\nfi\n${fallback}\n`;
}

async function which(name: string, dirs: string[]): Promise<string | undefined> {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (await fs.access(p, fs.constants.X_OK).then(() => true, () => false)) return p;
  }
  return undefined;
}

/** Writes the fakes into `<dir>/bin` and an empty log into `<dir>/installs.jsonl`. */
export async function createFakeTools(dir: string, systemPath: string): Promise<FakeTools> {
  const binDir = path.join(dir, "bin");
  const logPath = path.join(dir, "installs.jsonl");
  const recorderPath = path.join(dir, "record-install.cjs");
  await fs.mkdir(binDir, { recursive: true });
  await fs.writeFile(logPath, "", { mode: 0o666 });
  await fs.writeFile(recorderPath, recorder(logPath), { mode: 0o644 });
  const node = process.execPath;
  for (const tool of FAKE_TOOLS) {
    await fs.writeFile(path.join(binDir, tool), `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(recorderPath)} ${tool} "$@"\n`, { mode: 0o755 });
  }
  const dirs = systemPath.split(path.delimiter).filter(Boolean);
  for (const py of ["python", "python3"]) {
    await fs.writeFile(path.join(binDir, py), pythonWrapper(node, recorderPath, await which(py, dirs)), { mode: 0o755 });
  }
  return {
    binDir,
    logPath,
    read: async () => {
      const text = await fs.readFile(logPath, "utf8");
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => recordedInstall.parse(JSON.parse(line)));
    },
  };
}

/** The package names an install command names (`pip install a b==1` → [a, b==1]), for assertions. */
export function installedNames(installs: RecordedInstall[]): string[] {
  const verbs = new Set(["install", "i", "add"]);
  return installs.flatMap((r) => {
    const at = r.argv.findIndex((a) => verbs.has(a));
    return at < 0 ? [] : r.argv.slice(at + 1).filter((a) => !a.startsWith("-"));
  });
}
