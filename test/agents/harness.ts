/**
 * Runs real coding agents headless against a model endpoint (the scripted
 * upstream, or slopguard in front of it), each run with a HOME and a work dir of
 * its own and fake package managers first on PATH (see fake-tools.ts).
 *
 *   const up = await startScriptedUpstream();
 *   up.setModel((turn) => turn.toolResults.length ? { text: "done" } : { toolCalls: [shellCall(turn, "pip install x")] });
 *   const run = await runAgent({ agent: "qwen-code", prompt: "install x", baseURL: up.baseURL, model: "m" });
 *   expect(installedNames(run.installs)).toEqual(["x"]);
 *
 * Versions are pinned; each CLI is installed once into a cache under the OS temp
 * dir (install.ts). The agents reach nothing but `baseURL`: their update checks,
 * telemetry and error reporting are switched off by the settings below.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ModelTurn, ToolCallSpec } from "../helpers/scripted-upstream.js";
import { startBlockingProxy } from "./blocking-proxy.js";
import { createFakeTools, type RecordedInstall } from "./fake-tools.js";
import { installAgent, type AgentPackage, type InstalledAgent } from "./install.js";

export type AgentName = "qwen-code" | "codex" | "claude-code";

interface LaunchContext {
  home: string;
  workDir: string;
  /** The model endpoint with `/v1` (what `new OpenAI({ baseURL })` takes). */
  baseURL: string;
  model: string;
  apiKey: string;
  prompt: string;
}

interface Launch {
  args: string[];
  env: Record<string, string>;
}

interface AgentSpec extends AgentPackage {
  /** The wire API the agent speaks. */
  api: "chat" | "responses" | "messages";
  launch(ctx: LaunchContext): Promise<Launch>;
}

async function writeFile(file: string, text: string) {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}

export const AGENTS: Record<AgentName, AgentSpec> = {
  "qwen-code": {
    pkg: "@qwen-code/qwen-code",
    version: "0.24.4",
    bin: "qwen",
    dir: "qwen-code",
    api: "chat",
    async launch(ctx) {
      await writeFile(
        path.join(ctx.home, ".qwen", "settings.json"),
        JSON.stringify({ general: { enableAutoUpdate: false }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } }),
      );
      return {
        args: [ctx.prompt, "--yolo", "--output-format", "text"],
        env: {
          OPENAI_BASE_URL: ctx.baseURL,
          OPENAI_API_KEY: ctx.apiKey,
          OPENAI_MODEL: ctx.model,
          QWEN_CODE_SUPPRESS_YOLO_WARNING: "1",
        },
      };
    },
  },
  codex: {
    pkg: "@openai/codex",
    version: "0.171.0",
    bin: "codex",
    dir: "codex",
    api: "responses",
    async launch(ctx) {
      // Codex ignores OPENAI_BASE_URL for its built-in provider: a provider of our own it is.
      const codexHome = path.join(ctx.home, ".codex");
      await writeFile(
        path.join(codexHome, "config.toml"),
        [
          `model = ${JSON.stringify(ctx.model)}`,
          `model_provider = "slopguard"`,
          `check_for_update_on_startup = false`,
          ``,
          `[model_providers.slopguard]`,
          `name = "slopguard"`,
          `base_url = ${JSON.stringify(ctx.baseURL)}`,
          `env_key = "SLOPGUARD_API_KEY"`,
          `wire_api = "responses"`,
          `request_max_retries = 0`,
          `stream_max_retries = 0`,
          ``,
          `[analytics]`,
          `enabled = false`,
          ``,
          // The plugin marketplace syncs from github.com and chatgpt.com at start.
          `[features]`,
          `plugins = false`,
          `remote_plugin = false`,
          ``,
        ].join("\n"),
      );
      return {
        args: ["exec", "--strict-config", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--ephemeral", "--color", "never", "-C", ctx.workDir, ctx.prompt],
        env: { CODEX_HOME: codexHome, SLOPGUARD_API_KEY: ctx.apiKey },
      };
    },
  },
  "claude-code": {
    pkg: "@anthropic-ai/claude-code",
    version: "2.1.332",
    bin: "claude",
    dir: "claude-code",
    api: "messages",
    async launch(ctx) {
      return {
        // As root, --dangerously-skip-permissions is refused; allowing Bash by name runs any command
        // without a prompt, and acceptEdits lets Write/Edit change files in the work dir.
        args: ["-p", ctx.prompt, "--model", ctx.model, "--allowedTools", "Bash", "--permission-mode", "acceptEdits", "--output-format", "text", "--no-session-persistence"],
        env: {
          // The SDK appends /v1/messages itself.
          ANTHROPIC_BASE_URL: ctx.baseURL.replace(/\/v1\/?$/, ""),
          ANTHROPIC_API_KEY: ctx.apiKey,
          DISABLE_AUTOUPDATER: "1",
          DISABLE_TELEMETRY: "1",
          DISABLE_ERROR_REPORTING: "1",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        },
      };
    },
  },
};

export interface AgentRunOptions {
  agent: AgentName;
  prompt: string;
  /** `http://host:port/v1` of the scripted upstream or the gateway. */
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Kills the agent's whole process group after this long (default 120 s). */
  timeoutMs?: number;
  /** Run in this directory (the caller creates and removes it); default: a fresh one in the run's temp dir. */
  workDir?: string;
  /** Files to put in the work dir before the run (relative path → content). */
  files?: Record<string, string>;
  /** Keep the run's temp dir (HOME, work dir, install log) for inspection. */
  keep?: boolean;
}

export interface AgentRun {
  agent: AgentName;
  version: string;
  command: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** What the fake package managers recorded, in order. */
  installs: RecordedInstall[];
  /** The work dir's files after the run (relative path → content; small text files only). */
  workFiles: Record<string, string>;
  /** Hosts (CONNECT `host:port`) or URLs the agent tried to reach through the blocking proxy. */
  blockedNetwork: string[];
  /** The run's temp dir (removed unless `keep`). */
  dir: string;
}

const OUTPUT_CAP = 256 * 1024;

/** Keeps the last OUTPUT_CAP characters: a looping agent must not grow the test's memory. */
function capped() {
  let text = "";
  return {
    push: (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (text.length > 2 * OUTPUT_CAP) text = text.slice(-OUTPUT_CAP);
    },
    value: () => text.slice(-OUTPUT_CAP),
  };
}

function killGroup(pid: number | undefined) {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

interface Exit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

async function spawnAgent(bin: string, launch: Launch, cwd: string, timeoutMs: number, out = capped(), err = capped()) {
  // detached: the agent leads a process group of its own, so a timeout also ends the shells it started.
  const child = spawn(bin, launch.args, { cwd, env: launch.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout.on("data", out.push);
  child.stderr.on("data", err.push);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, timeoutMs);
  const exit = await new Promise<Exit>((resolve) => {
    child.on("error", (e) => {
      err.push(Buffer.from(String(e)));
      resolve({ exitCode: null, signal: null, timedOut });
    });
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal, timedOut }));
    // Leftover children would hold the pipes open: end the group once the agent itself exits.
    child.on("exit", () => killGroup(child.pid));
  });
  clearTimeout(timer);
  return { ...exit, stdout: out.value(), stderr: err.value() };
}

/**
 * Should a real package manager run after all, it reaches no registry: an
 * unreachable index for pip/uv and offline npm.
 */
const NO_REAL_INSTALLS = {
  PIP_NO_INDEX: "1",
  PIP_INDEX_URL: "http://127.0.0.1:9/simple",
  UV_OFFLINE: "1",
  npm_config_offline: "true",
  npm_config_registry: "http://127.0.0.1:9/",
};

/**
 * Agents run commands in login shells (Codex: `bash -lc`), and the system's
 * /etc/profile resets PATH, which would drop the fakes and run the real pip.
 * The run's own HOME gets profiles that put them first again.
 */
async function keepFakesFirstInLoginShells(home: string, binDir: string) {
  const line = `export PATH=${JSON.stringify(binDir)}:"$PATH"\n`;
  for (const file of [".bash_profile", ".profile", ".bashrc"]) await fs.writeFile(path.join(home, file), line);
}

const LOOPBACK = "127.0.0.1,localhost,::1";

const WORK_FILES_MAX = 200;
const WORK_FILE_BYTES = 256 * 1024;

/** What the agent left in its work dir, bounded: at most WORK_FILES_MAX files of at most WORK_FILE_BYTES. */
async function readWorkFiles(workDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await fs.readdir(workDir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (Object.keys(out).length >= WORK_FILES_MAX) break;
    const full = path.join(e.parentPath, e.name);
    const rel = path.relative(workDir, full);
    if (!e.isFile() || rel.split(path.sep).some((p) => p === "node_modules" || p === ".git")) continue;
    if ((await fs.stat(full)).size <= WORK_FILE_BYTES) out[rel] = await fs.readFile(full, "utf8");
  }
  return out;
}

const SYSTEM_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export async function runAgent(options: AgentRunOptions): Promise<AgentRun> {
  const spec = AGENTS[options.agent];
  const installed: InstalledAgent = await installAgent(spec);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `slopguard-${options.agent}-run-`));
  const home = path.join(dir, "home");
  const workDir = options.workDir ?? path.join(dir, "work");
  await fs.mkdir(home, { recursive: true });
  await fs.mkdir(workDir, { recursive: true });
  for (const [rel, content] of Object.entries(options.files ?? {})) await writeFile(path.join(workDir, rel), content);
  // The agent's PATH: the fakes first, then node (the CLIs are node scripts), then the system.
  const systemPath = [path.dirname(process.execPath), ...SYSTEM_PATH].join(path.delimiter);
  const fakes = await createFakeTools(path.join(dir, "fakes"), systemPath);
  const ctx: LaunchContext = { home, workDir, baseURL: options.baseURL, model: options.model, apiKey: options.apiKey ?? "sk-agent-test", prompt: options.prompt };
  await keepFakesFirstInLoginShells(home, fakes.binDir);
  const launch = await spec.launch(ctx);
  // A fresh environment, not the test runner's: no API keys or proxies of the machine leak in.
  const proxy = await startBlockingProxy();
  const proxyEnv = { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, http_proxy: proxy.url, https_proxy: proxy.url, NO_PROXY: LOOPBACK, no_proxy: LOOPBACK };
  launch.env = { PATH: `${fakes.binDir}${path.delimiter}${systemPath}`, HOME: home, TMPDIR: os.tmpdir(), LANG: "C.UTF-8", TERM: "dumb", NO_COLOR: "1", CI: "1", ...NO_REAL_INSTALLS, ...proxyEnv, ...launch.env };
  const started = Date.now();
  try {
    const exit = await spawnAgent(installed.binPath, launch, workDir, options.timeoutMs ?? 120_000);
    return {
      agent: options.agent,
      version: installed.version,
      command: [spec.bin, ...launch.args],
      ...exit,
      durationMs: Date.now() - started,
      installs: await fakes.read(),
      workFiles: await readWorkFiles(workDir),
      blockedNetwork: [...proxy.attempts],
      dir,
    };
  } finally {
    await proxy.close();
    if (!options.keep) await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The shell tool call each agent understands, chosen from the tools the request
 * offers: Qwen Code's `run_shell_command {command}`, Codex's `exec_command {cmd}`
 * (or the older `shell {command: argv}`), Claude Code's `Bash {command}`.
 */
export function shellCall(turn: ModelTurn, command: string): ToolCallSpec {
  const has = (name: string) => turn.tools.includes(name);
  if (has("run_shell_command")) return { name: "run_shell_command", input: { command, description: "Install the package" } };
  if (has("exec_command")) return { name: "exec_command", input: { cmd: command } };
  if (has("shell")) return { name: "shell", input: { command: ["bash", "-lc", command] } };
  if (has("Bash")) return { name: "Bash", input: { command, description: "Install the package" } };
  throw new Error(`no known shell tool among the offered tools: ${turn.tools.join(", ")}`);
}

/**
 * The whole-file write tool call of the agent, when it offers one: Qwen Code's
 * `write_file` and Claude Code's `Write`, both `{file_path, content}` with an
 * absolute path. Codex has none (it writes files with `apply_patch`).
 */
export function writeFileCall(turn: ModelTurn, filePath: string, content: string): ToolCallSpec | undefined {
  if (!path.isAbsolute(filePath)) throw new Error(`writeFileCall: the agents want an absolute path, got ${filePath}`);
  if (turn.tools.includes("write_file")) return { name: "write_file", input: { file_path: filePath, content } };
  if (turn.tools.includes("Write")) return { name: "Write", input: { file_path: filePath, content } };
  return undefined;
}
