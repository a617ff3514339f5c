/**
 * Starts the real gateway in-process on 127.0.0.1:0 from a config object, with the
 * same wiring as `slopguard serve` (src/server/bootstrap.ts). Drive it with the
 * real `openai` client:
 *
 *   const up = await startScriptedUpstream();
 *   const gw = await startGateway({ config: { models: [upstreamModel(up)] } });
 *   const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x" });
 *   ...
 *   await gw.close(); await up.close();
 *
 * `config` is the raw (pre-validation) config; relative paths resolve against the
 * repository root. `services` replaces built services (e.g. `mitigationsFor`,
 * `pipeline`, `packageChecker`, `retriever`). The watchlist is in memory and RAG is
 * disabled unless the config has a `rag` section.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";
import type { GatewayServices } from "../../src/server/app.js";
import { buildGateway } from "../../src/server/bootstrap.js";
import { listen } from "../../src/server/http.js";
import { createLogger, type LogLevel } from "../../src/util/log.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TESTBED_GGUF = path.join(repoRoot, "models/testbed/pkg-halluc-testbed-f16.gguf");

export interface TestGateway {
  /** `http://127.0.0.1:<port>/v1`: give this to `new OpenAI({ baseURL })`. */
  baseURL: string;
  url: string;
  config: Config;
  services: GatewayServices;
  /** Log lines written by the gateway (JSON strings), for tests that check logging. */
  logs: string[];
  close(): Promise<void>;
}

export async function startGateway(options: {
  config: Record<string, unknown>;
  services?: Partial<GatewayServices>;
  /** Default "silent"; lines are captured in `logs` either way when not silent. */
  logLevel?: LogLevel;
}): Promise<TestGateway> {
  // RAG stays off unless a test configures it: building the default index takes minutes.
  const raw = {
    rag: { enabled: false },
    ...options.config,
    server: { port: 0, ...(options.config.server as object | undefined) },
  };
  const config = parseConfig(raw, { baseDir: repoRoot, source: "test config" });
  const logs: string[] = [];
  const logger = createLogger({ level: options.logLevel ?? "silent", write: (l) => void logs.push(l) });
  const gateway = await buildGateway(config, { logger, overrides: options.services ?? {}, ephemeral: true });
  const server = await listen(gateway.app, { host: "127.0.0.1", port: 0 });
  return {
    baseURL: `${server.url}/v1`,
    url: server.url,
    config,
    services: gateway.services,
    logs,
    close: async () => {
      await server.close(0);
      await gateway.close();
    },
  };
}

/**
 * A model entry pointing at a scripted upstream (see scripted-upstream.ts). No retries and no
 * circuit breaker, so each scripted fault meets exactly one attempt; the resilience tests turn them on.
 */
export function upstreamModel(upstream: { baseURL: string }, overrides: Record<string, unknown> = {}) {
  return {
    name: "up",
    provider: "openai-compatible",
    model: "upstream-model",
    baseURL: upstream.baseURL,
    apiKey: "sk-upstream-secret-key-123456",
    maxRetries: 0,
    breaker: { failures: 0 },
    timeoutMs: 5_000,
    ...overrides,
  };
}

/** A model entry for the testbed GGUF on the local provider (threads: 1). */
export function testbedModel(overrides: Record<string, unknown> = {}) {
  return {
    name: "testbed",
    provider: "local",
    model: TESTBED_GGUF,
    threads: 1,
    contextSize: 1024,
    sequences: 1,
    defaults: { temperature: 0, max_tokens: 64 },
    ...overrides,
  };
}
