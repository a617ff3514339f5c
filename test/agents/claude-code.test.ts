/**
 * Claude Code 2.1.332 end to end through slopguard (issue 13): the agent, headless
 * (`claude -p`, Bash allowed by name), talks Anthropic's Messages API to the gateway
 * (`ANTHROPIC_BASE_URL` is the gateway's root), whose model is an `anthropic` upstream:
 * the scripted model on loopback. The model first installs a real package, then a
 * made-up pip package and a made-up npm package in one Bash command, then says it is
 * done. Fake pip and npm on the agent's PATH record what actually ran.
 *
 * - `default` (annotate) is the control: every install runs, made-up names too.
 * - `strict` must keep the made-up installs from running while the real one still
 *   runs: the gateway withholds the `tool_use` and sends a text block instead, so the
 *   agent never sees the command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestGateway } from "../helpers/gateway.js";
import type { ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { installedNames } from "./fake-tools.js";
import { runAgent, type AgentRun } from "./harness.js";
import { MADE_UP_NPM, MADE_UP_PIP, REAL, RUN_TIMEOUT_MS, installer, startScenario, type Scenario } from "./install-scenario.js";


let up: ScriptedUpstream;
let gw: TestGateway;
let scenario: Scenario | undefined;

function anthropicModel(upstream: ScriptedUpstream, name: string, profile: string) {
  return { name, profile, provider: "anthropic", model: "claude-upstream", baseURL: upstream.url, apiKey: "sk-ant-upstream-key", maxRetries: 0, timeoutMs: 30_000 };
}

beforeAll(async () => {
  scenario = await startScenario("claude-code", (u) => [anthropicModel(u, "claude-default", "default"), anthropicModel(u, "claude-strict", "strict")]);
  ({ up, gw } = scenario);
}, 600_000);
afterAll(() => scenario?.close());

async function runClaude(model: string): Promise<AgentRun> {
  up.setModel(installer);
  const before = up.requestsOf("messages").length;
  const run = await runAgent({
    agent: "claude-code",
    prompt: "Set up this project: install the Python and npm packages it needs.",
    baseURL: gw.baseURL,
    model,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  const requests = up.requestsOf("messages").length - before;
  console.log(`[agents] claude-code via gateway (${model}): exit ${run.exitCode} in ${run.durationMs} ms, ${requests} upstream requests; installs: ${JSON.stringify(installedNames(run.installs))}`);
  console.log(`[agents] claude-code stdout: ${run.stdout.trim().slice(-1500)}`);
  if (run.exitCode !== 0) console.log(run.stderr.slice(-2000));
  return run;
}

describe("Claude Code through slopguard", () => {
  it(
    "default (annotate), the control: every install the model asks for runs, the made-up ones too",
    async () => {
      const run = await runClaude("claude-default");
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(0);
      expect(installedNames(run.installs)).toEqual([REAL, MADE_UP_PIP, MADE_UP_NPM]);
      expect(run.stdout).toContain("All packages are installed.");
      // The agent's own requests reached the upstream natively (Anthropic → Anthropic).
      const last = up.requestsOf("messages").at(-1)!;
      expect(last.headers["anthropic-beta"]).toContain("claude-code-");
      expect(last.body.system[0].type).toBe("text");
      expect(run.blockedNetwork).toEqual([]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it(
    "strict: the made-up installs never run, and the real one still does",
    async () => {
      const run = await runClaude("claude-strict");
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(0);
      const names = installedNames(run.installs);
      expect(names).toContain(REAL);
      expect(names).not.toContain(MADE_UP_PIP);
      expect(names).not.toContain(MADE_UP_NPM);
      // Claude Code printed the gateway's notice (the text block that replaced the tool_use).
      expect(run.stdout).toContain(MADE_UP_PIP);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
