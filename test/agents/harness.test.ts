/**
 * The agent harness, proven without the gateway: Qwen Code (chat completions),
 * Codex CLI (Responses API) and Claude Code (Messages API), installed at test
 * time, each run headless straight against the scripted upstream. The scripted
 * model calls the agent's shell tool to install a made-up package, then answers
 * in text once it sees the tool result; the fake pip records the install.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startScriptedUpstream, type ModelAnswer, type ModelTurn, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { startBlockingProxy } from "./blocking-proxy.js";
import { createFakeTools, installedNames } from "./fake-tools.js";
import { AGENTS, runAgent, shellCall, writeFileCall, type AgentRun } from "./harness.js";
import { installAgent } from "./install.js";

const MADE_UP = "reqeusts-oauthlib2";
const RUN_TIMEOUT_MS = 150_000;

let up: ScriptedUpstream;

beforeAll(async () => {
  up = await startScriptedUpstream({ models: ["up"] });
  // One install per CLI, in parallel; a later run (or another test file) finds them in the cache.
  const installs = await Promise.all(Object.values(AGENTS).map(async (a) => ({ a: a.pkg, ...(await installAgent(a)) })));
  for (const i of installs) console.log(`[agents] ${i.a}: ${i.version}, installed in ${i.installMs} ms${i.installMs ? "" : " (cached)"}`);
}, 600_000);
afterAll(async () => {
  await up?.close();
});

const MANIFEST = "flask-restfull==0.3.10\narangoasync\n";

/**
 * First answer: the install, plus a requirements.txt write where the agent has a
 * write tool (two tool calls in one answer). Once the agent sends the results
 * back, report the install in text.
 */
function installThenReport(workDir: string) {
  return (turn: ModelTurn): ModelAnswer => {
    if (turn.toolResults.length === 0) {
      const write = writeFileCall(turn, path.join(workDir, "requirements.txt"), MANIFEST);
      return { toolCalls: [shellCall(turn, `pip install ${MADE_UP}`), ...(write ? [write] : [])] };
    }
    const said = turn.toolResults.map((t) => /Successfully installed \S+/.exec(t.output)?.[0]).find(Boolean);
    return { text: `Finished: ${said ?? "no install output"}` };
  };
}

function report(run: AgentRun, requests: number) {
  console.log(`[agents] ${run.agent} ${run.version}: exit ${run.exitCode} in ${run.durationMs} ms, ${requests} model requests; ${run.command.join(" ")}`);
}

describe.each([
  ["qwen-code", ["run_shell_command", "write_file"]],
  ["codex", ["exec_command"]],
  ["claude-code", ["Bash", "Write"]],
] as const)("%s against the scripted upstream", (agent, calledTools) => {
  const api = AGENTS[agent].api;
  it(
    "runs the model's tool calls (the install through the fake pip), sends the results back, and prints the final answer",
    async () => {
      const workDir = await fs.mkdtemp(path.join(os.tmpdir(), `${agent}-work-`));
      try {
        up.setModel(installThenReport(workDir));
        const before = up.requests.length;
        const run = await runAgent({ agent, prompt: `Install the Python package ${MADE_UP}.`, baseURL: up.baseURL, model: "up", timeoutMs: RUN_TIMEOUT_MS, workDir });
        const requests = up.requests.slice(before);
        report(run, requests.length);
        if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
        expect(run.timedOut).toBe(false);
        expect(run.exitCode).toBe(0);
        expect(run.installs).toEqual([{ tool: "pip", argv: ["install", MADE_UP], cwd: workDir }]);
        expect(installedNames(run.installs)).toEqual([MADE_UP]);
        expect(run.stdout).toContain(`Finished: Successfully installed ${MADE_UP}`);
        // Updates, telemetry and plugin syncs are off: the agent tried to reach nothing but the model.
        expect(run.blockedNetwork).toEqual([]);
        if (calledTools.length > 1) expect(run.workFiles["requirements.txt"]).toBe(MANIFEST);
        // Every request hit the agent's own API, streamed; the last one carries a result for each call.
        expect(requests.length).toBeGreaterThanOrEqual(2);
        expect(requests.every((r) => r.api === api && r.turn?.stream === true)).toBe(true);
        const last = requests.at(-1)!.turn!;
        expect(last.toolCalls.map((c) => c.name)).toEqual(calledTools);
        expect(last.toolResults.map((t) => t.callId)).toEqual(last.toolCalls.map((c) => c.callId));
        expect(last.toolResults[0]!.output).toContain(`Successfully installed ${MADE_UP}`);
      } finally {
        await fs.rm(workDir, { recursive: true, force: true });
      }
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});

describe("codex apply_patch (a custom tool call of the Responses API)", () => {
  it(
    "writes the requirements.txt of a freeform patch into the work dir",
    async () => {
      const patch = "*** Begin Patch\n*** Add File: requirements.txt\n+flask-restfull==0.3.10\n+arangoasync\n*** End Patch\n";
      let offered: string[] = [];
      up.setModel((turn) => {
        offered = turn.tools;
        return turn.toolResults.length === 0 ? { toolCalls: [{ name: "apply_patch", input: patch, custom: true }] } : { text: "Patched." };
      });
      // Codex declares apply_patch (as a custom tool) only for models it knows; gpt-5.5 is one.
      const before = up.requests.length;
      const run = await runAgent({ agent: "codex", prompt: "Add flask-restfull and arangoasync to requirements.txt.", baseURL: up.baseURL, model: "gpt-5.5", timeoutMs: RUN_TIMEOUT_MS });
      const requests = up.requests.slice(before);
      report(run, requests.length);
      expect(offered).toContain("apply_patch");
      expect(run.exitCode).toBe(0);
      expect(run.workFiles["requirements.txt"]).toBe(MANIFEST);
      expect(requests.at(-1)!.turn!.toolCalls).toEqual([{ callId: expect.any(String), name: "apply_patch" }]);
      expect(requests.at(-1)!.turn!.toolResults[0]!.output).toContain("A requirements.txt");
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});

describe("harness pieces", () => {
  it("the blocking proxy refuses tunnels and plain requests and records where they went", async () => {
    const proxy = await startBlockingProxy();
    try {
      const { port } = new URL(proxy.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "CONNECT", path: "telemetry.example:443" });
        req.on("connect", (res, socket) => {
          socket.destroy();
          resolve(res.statusCode!);
        });
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(403);
      const plain = await new Promise<number>((resolve, reject) => {
        http.get({ host: "127.0.0.1", port, path: "http://updates.example/latest" }, (res) => resolve(res.statusCode!)).on("error", reject);
      });
      expect(plain).toBe(403);
      expect(proxy.attempts).toEqual(["telemetry.example:443", "http://updates.example/latest"]);
    } finally {
      await proxy.close();
    }
  });

  it("record pip, python -m pip and npm, even in a login shell whose /etc/profile resets PATH", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "fake-tools-"));
    try {
      const system = ["/usr/local/bin", "/usr/bin", "/bin"].join(":");
      const fakes = await createFakeTools(path.join(dir, "fakes"), system);
      await fs.writeFile(path.join(dir, ".bash_profile"), `export PATH=${fakes.binDir}:"$PATH"\n`);
      const env = { PATH: `${fakes.binDir}:${system}`, HOME: dir };
      const sh = (cmd: string, login = false) => promisify(execFile)("bash", [login ? "-lc" : "-c", cmd], { env, cwd: dir });
      expect((await sh("pip install a-b==1.0 -q")).stdout).toBe("Successfully installed a-b==1.0\n");
      await sh("python3 -m pip install --user c");
      await sh("npm i -D d @scope/e", true);
      expect(await fakes.read()).toEqual([
        { tool: "pip", argv: ["install", "a-b==1.0", "-q"], cwd: dir },
        { tool: "pip", argv: ["install", "--user", "c"], cwd: dir },
        { tool: "npm", argv: ["i", "-D", "d", "@scope/e"], cwd: dir },
      ]);
      expect(installedNames(await fakes.read())).toEqual(["a-b==1.0", "c", "d", "@scope/e"]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
