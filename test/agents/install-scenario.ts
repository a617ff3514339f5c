/**
 * The scenario the agent end-to-end tests share (Qwen Code, Codex CLI, Claude Code): a
 * scripted model that installs a real package, then a made-up pip and a made-up npm package
 * in one shell command, then says it is done; a loopback registry that settles the names the
 * snapshot does not (the npm snapshot is partial) as not found; and the agent installed from
 * npm into its cache.
 */
import type { ModelAnswer, ModelTurn } from "../helpers/scripted-upstream.js";
import type { FakeRegistry } from "../packages/fake-registry.js";
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
export function livePackages(registry: FakeRegistry) {
  return { mode: "live" as const, registries: { npm: { url: registry.url }, pypi: { jsonUrl: `${registry.url}pypi/` } } };
}

/** Installs (or finds in the cache) the agent's pinned version, and says which. */
export async function prepareAgent(agent: AgentName): Promise<void> {
  const got = await installAgent(AGENTS[agent]);
  console.log(`[agents] ${agent} ${got.version}, installed in ${got.installMs} ms${got.installMs ? "" : " (cached)"}`);
}
