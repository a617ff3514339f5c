/**
 * The scenario the agent end-to-end tests share (Qwen Code, Codex CLI, Claude Code): a
 * scripted model that installs a real package, then a made-up pip and a made-up npm package
 * in one shell command, then says it is done; a loopback registry that settles the names the
 * snapshot does not (the npm snapshot is partial) as not found; and the agent installed from
 * npm into its cache.
 */
import { startGateway, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ModelAnswer, type ModelTurn, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { startFakeRegistry, type FakeRegistry } from "../packages/fake-registry.js";
import { AGENTS, shellCall, type AgentName } from "./harness.js";
import { installAgent } from "./install.js";

export const REAL = "requests";
export const MADE_UP_PIP = "reqeusts-oauthlib2";
export const MADE_UP_NPM = "lodahs-utils";
export const RUN_TIMEOUT_MS = 150_000;

/** One step per tool result the agent has sent back: the real install, then the made-up ones, then done. */
export function installer(turn: ModelTurn): ModelAnswer {
  const step = turn.toolResults.length;
  if (step === 0) return { toolCalls: [shellCall(turn, `pip install ${REAL}`)] };
  if (step === 1) return { toolCalls: [shellCall(turn, `pip install ${MADE_UP_PIP} && npm install ${MADE_UP_NPM}`)] };
  return { text: "All packages are installed." };
}

/** The gateway's `packages` config: live lookups against the loopback registry. */
function livePackages(registry: FakeRegistry) {
  return { mode: "live" as const, registries: { npm: { url: registry.url }, pypi: { jsonUrl: `${registry.url}pypi/` } } };
}

/** Installs (or finds in the cache) the agent's pinned version, and says which. */
async function prepareAgent(agent: AgentName): Promise<void> {
  const got = await installAgent(AGENTS[agent]);
  console.log(`[agents] ${agent} ${got.version}, installed in ${got.installMs} ms${got.installMs ? "" : " (cached)"}`);
}

export interface Scenario {
  up: ScriptedUpstream;
  gw: TestGateway;
  close(): Promise<void>;
}

/**
 * The scripted model, the loopback registry, a gateway in front of them with `models(up)`
 * (live package lookups), and the agent installed. What started is closed again if a later step fails.
 */
export async function startScenario(agent: AgentName, models: (up: ScriptedUpstream) => Record<string, unknown>[]): Promise<Scenario> {
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c();
  };
  try {
    const up = await startScriptedUpstream();
    closers.push(() => up.close());
    const registry = await startFakeRegistry();
    closers.push(() => registry.close());
    const gw = await startGateway({ config: { models: models(up), packages: livePackages(registry) } });
    closers.push(() => gw.close());
    await prepareAgent(agent);
    return { up, gw, close };
  } catch (err) {
    await close();
    throw err;
  }
}
