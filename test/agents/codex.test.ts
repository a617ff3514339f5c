/**
 * Codex CLI 0.171.0 end to end through slopguard's `/v1/responses` (issue 13): the
 * agent runs headless (`codex exec`) with a model provider of its own whose `base_url`
 * is the gateway (`wire_api = "responses"`); the gateway sits in front of the scripted
 * model, once as a Responses upstream (native pass-through) and once as a chat upstream
 * (translated). The model first installs a real package with `exec_command`, then a
 * made-up pip package and a made-up npm package in one command, then says it is done.
 * Fake pip and npm on the agent's PATH record what actually ran.
 *
 * - `default` (annotate) is the control: every install runs, the made-up ones too.
 * - `strict`: the made-up installs never run, and the real one still does.
 * - apply_patch (a custom tool call): under `strict` a patch that adds a made-up
 *   package to requirements.txt is never applied; under `default` it is.
 *
 * Codex picks its tools by model name: names starting with `gpt-5.5` get `exec_command`
 * and the freeform `apply_patch`, so the gateway's models are named that way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upstreamModel, type TestGateway } from "../helpers/gateway.js";
import type { ModelAnswer, ModelTurn, ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { installedNames } from "./fake-tools.js";
import { runAgent, type AgentRun } from "./harness.js";
import { MADE_UP_NPM, MADE_UP_PIP, REAL, RUN_TIMEOUT_MS, installer, startScenario, type Scenario } from "./install-scenario.js";

const PATCH = "*** Begin Patch\n*** Add File: requirements.txt\n+flask-restfull==0.3.10\n+requests>=2.31\n*** End Patch\n";

let up: ScriptedUpstream;
let gw: TestGateway;
let scenario: Scenario | undefined;

const UPSTREAMS = {
  responses: { provider: "openai-responses", model: "gpt-5.5" },
  chat: { provider: "openai-compatible", model: "gpt-5.5-chat" },
} as const;

beforeAll(async () => {
  scenario = await startScenario("codex", (u) => Object.values(UPSTREAMS).flatMap(({ provider, model }) => [
    upstreamModel(u, { name: model, provider, timeoutMs: 30_000 }),
    upstreamModel(u, { name: `${model}-strict`, provider, profile: "strict", timeoutMs: 30_000 }),
  ]));
  ({ up, gw } = scenario);
}, 600_000);
afterAll(() => scenario?.close());

async function runCodex(model: string, script: (turn: ModelTurn) => ModelAnswer, prompt: string): Promise<AgentRun & { requests: ScriptedUpstream["requests"] }> {
  up.setModel(script);
  const before = up.requests.length;
  const run = await runAgent({ agent: "codex", prompt, baseURL: gw.baseURL, model, timeoutMs: RUN_TIMEOUT_MS });
  const requests = up.requests.slice(before);
  console.log(`[agents] codex via gateway (${model}): exit ${run.exitCode} in ${run.durationMs} ms, ${requests.length} model requests; installs: ${JSON.stringify(installedNames(run.installs))}`);
  if (run.exitCode !== 0) console.log(run.stdout.slice(-2000), run.stderr.slice(-2000));
  return { ...run, requests };
}

describe.each(Object.entries(UPSTREAMS))("Codex CLI through slopguard, %s upstream", (kind, { model }) => {
  it(
    "default (annotate), the control: every install the model asks for runs, the made-up ones too",
    async () => {
      const run = await runCodex(model, installer, "Set up this project: install the Python and npm packages it needs.");
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(0);
      expect(installedNames(run.installs)).toEqual([REAL, MADE_UP_PIP, MADE_UP_NPM]);
      expect(run.stdout).toContain("All packages are installed.");
      expect(run.blockedNetwork).toEqual([]);
      // Codex streams every request; a Responses upstream gets what Codex sent, a chat upstream the translation.
      expect(run.requests.every((r) => r.api === kind && r.body.stream === true)).toBe(true);
      if (kind === "responses") expect(run.requests[0]!.body).toMatchObject({ store: false, include: ["reasoning.encrypted_content"], reasoning: expect.any(Object), prompt_cache_key: expect.any(String) });
    },
    RUN_TIMEOUT_MS + 30_000,
  );

  it(
    "strict: the made-up installs never run, and the real one still does",
    async () => {
      const run = await runCodex(`${model}-strict`, installer, "Set up this project: install the Python and npm packages it needs.");
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(0);
      expect(installedNames(run.installs)).toEqual([REAL]);
      // The withheld call became a message telling Codex why; it ended its turn there.
      expect(run.stdout).toContain(`${MADE_UP_PIP} (pypi): does not exist`);
      expect(run.stdout).not.toContain("All packages are installed.");
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});

describe("Codex apply_patch (a custom tool call) through slopguard, Responses upstream", () => {
  const patcher = (turn: ModelTurn): ModelAnswer => (turn.toolResults.length === 0 ? { toolCalls: [{ name: "apply_patch", input: PATCH, custom: true }] } : { text: "Patched." });

  it(
    "default: the patch is applied; strict: a patch that adds a made-up package is never applied",
    async () => {
      const control = await runCodex("gpt-5.5", patcher, "Add flask-restfull and requests to requirements.txt.");
      expect(control.exitCode).toBe(0);
      expect(control.workFiles["requirements.txt"]).toBe("flask-restfull==0.3.10\nrequests>=2.31\n");
      expect(control.requests[0]!.body.tools.find((t: { name?: string }) => t.name === "apply_patch")).toMatchObject({ type: "custom", format: { type: "grammar" } });

      const strict = await runCodex("gpt-5.5-strict", patcher, "Add flask-restfull and requests to requirements.txt.");
      expect(strict.exitCode).toBe(0);
      expect(strict.workFiles["requirements.txt"]).toBeUndefined();
      expect(strict.stdout).toContain("flask-restfull (pypi): does not exist");
    },
    2 * RUN_TIMEOUT_MS + 30_000,
  );
});
