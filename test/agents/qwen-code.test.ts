/**
 * Qwen Code 0.24.4 end to end through slopguard (issue 12): the agent, headless
 * with `--yolo`, talks chat completions to the gateway, which sits in front of a
 * scripted model. The model first installs a real package, then a made-up pip
 * package and a made-up npm package in one shell command, then says it is done.
 * Fake pip and npm on the agent's PATH record what actually ran.
 *
 * - `default` (annotate) is the control: every install runs, made-up names too.
 * - `strict` must keep the made-up installs from running while the real one
 *   still runs: the gateway withholds the call and the agent gets its notice.
 *   Before the gateway checked tool calls this case failed (issue 12's report).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upstreamModel, type TestGateway } from "../helpers/gateway.js";
import type { ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { installedNames } from "./fake-tools.js";
import { runAgent, type AgentRun } from "./harness.js";
import { MADE_UP_NPM, MADE_UP_PIP, REAL, RUN_TIMEOUT_MS, installer, startScenario, type Scenario } from "./install-scenario.js";


let up: ScriptedUpstream;
let gw: TestGateway;
let scenario: Scenario | undefined;

beforeAll(async () => {
  scenario = await startScenario("qwen-code", (u) => [
    upstreamModel(u, { name: "up-default", timeoutMs: 30_000 }),
    upstreamModel(u, { name: "up-strict", profile: "strict", timeoutMs: 30_000 }),
  ]);
  ({ up, gw } = scenario);
}, 600_000);
afterAll(() => scenario?.close());

async function runQwen(model: string): Promise<AgentRun> {
  up.setModel(installer);
  const run = await runAgent({
    agent: "qwen-code",
    prompt: "Set up this project: install the Python and npm packages it needs.",
    baseURL: gw.baseURL,
    model,
    timeoutMs: RUN_TIMEOUT_MS,
  });
  console.log(`[agents] qwen-code via gateway (${model}): exit ${run.exitCode} in ${run.durationMs} ms; installs: ${JSON.stringify(installedNames(run.installs))}`);
  if (run.exitCode !== 0) console.log(run.stdout.slice(-2000), run.stderr.slice(-2000));
  return run;
}

describe("Qwen Code through slopguard", () => {
  it("premise: the snapshot knows the real name and not the made-up ones", async () => {
    const res = await fetch(`${gw.baseURL}/packages/check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: `\`\`\`bash\npip install ${REAL} ${MADE_UP_PIP}\nnpm install ${MADE_UP_NPM}\n\`\`\`` }),
    });
    const report = (await res.json()) as { packages: Array<{ name: string; verdict: string }> };
    expect(Object.fromEntries(report.packages.map((p) => [p.name, p.verdict]))).toEqual({ [REAL]: "exists", [MADE_UP_PIP]: "not_found", [MADE_UP_NPM]: "not_found" });
  });

  it(
    "default (annotate), the control: every install the model asks for runs, the made-up ones too",
    async () => {
      const run = await runQwen("up-default");
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(0);
      expect(installedNames(run.installs)).toEqual([REAL, MADE_UP_PIP, MADE_UP_NPM]);
      expect(run.stdout).toContain("All packages are installed.");
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it(
    "strict: the made-up installs never run, and the real one still does",
    async () => {
      const run = await runQwen("up-strict");
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(0);
      const names = installedNames(run.installs);
      expect(names).toContain(REAL);
      expect(names).not.toContain(MADE_UP_PIP);
      expect(names).not.toContain(MADE_UP_NPM);
      // The agent was told why, and which real name was probably meant.
      expect(run.stdout).toContain("slopguard withheld this answer's tool calls");
      expect(run.stdout).toContain(`${MADE_UP_PIP} (pypi): does not exist in the registry`);
      if (process.env.SHOW_AGENT_OUTPUT) console.log(run.stdout);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
