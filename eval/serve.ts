/**
 * `slopguard eval --serve [config]`: starts slopguard in this process on a free
 * loopback port and points the eval at it, so a researcher reproduces a table
 * with one command instead of starting a gateway, polling /readyz and cleaning up.
 * The gateway is the same build `slopguard serve` runs (buildGateway), with the
 * embedded default config unless a config file is named.
 */
import type { Config } from "../src/config/schema.js";
import { defaultConfigPath, loadConfig } from "../src/config/load.js";
import { buildGateway } from "../src/server/bootstrap.js";
import { listen, type RunningServer } from "../src/server/http.js";
import { LazyRetriever } from "../src/server/services.js";
import { createLogger } from "../src/util/log.js";

export interface ServedGateway {
  baseURL: string;
  /** The first configured gateway key, for a config that requires one. */
  apiKey: string | undefined;
  close(): Promise<void>;
}

/** Rejects when `signal` aborts: Ctrl-C while the RAG index builds must not wait minutes for it. */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(new Error("eval: stopped before slopguard was ready"));
    signal?.addEventListener("abort", () => reject(new Error("eval: stopped before slopguard was ready")), { once: true });
  });
}

export async function serveForEval(options: { config: string | true; log?: (line: string) => void; signal?: AbortSignal }): Promise<ServedGateway> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const configPath = options.config === true ? defaultConfigPath() : options.config;
  const config: Config = loadConfig({ path: configPath });
  log(`eval: starting slopguard in-process (${configPath}), models: ${config.models.map((m) => m.name).join(", ")}`);
  // Only warnings and errors: one JSON line per request would bury the progress bar.
  const logger = createLogger({ level: "warn", base: { service: "slopguard" }, write: (line) => process.stderr.write(line) });
  const gateway = await buildGateway(config, { logger, waitForModels: true });
  let server: RunningServer;
  try {
    const retriever = gateway.services.retriever;
    if (retriever instanceof LazyRetriever) {
      if (!retriever.ready()) log("eval: opening the RAG index (built first when missing: a few minutes)");
      // A profile with `rag` would fail open while the index builds, and the table would be wrong.
      await Promise.race([retriever.whenOpen(), aborted(options.signal)]);
    }
    server = await listen(gateway.app, { host: "127.0.0.1", port: 0 });
  } catch (err) {
    // Loaded models keep the process alive: release them, or a failed start would hang the CLI.
    await gateway.close();
    throw err;
  }
  log(`eval: slopguard ready at ${server.url}/v1`);
  return {
    baseURL: `${server.url}/v1`,
    apiKey: config.server.apiKeys[0],
    close: async () => {
      gateway.startDraining();
      await server.close(1_000);
      await gateway.close();
    },
  };
}
