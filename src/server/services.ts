/**
 * Builders for the services other parts own (package checker, retriever,
 * mitigation pipeline), as the gateway wires them at startup. Kept apart from
 * bootstrap.ts so that file stays a readable list of steps.
 */
import type { Config } from "../config/schema.js";
import { registry } from "../metrics/index.js";
import { createMitigationPipeline, type MitigationPipeline } from "../mitigation/index.js";
import { createPackageChecker, type SlopguardPackageChecker } from "../packages/index.js";
import { resolveRagPaths } from "../rag/config.js";
import { createRetriever } from "../rag/index.js";
import type { PackageChecker } from "../packages/types.js";
import type { RetrieveInput, RetrievedStatement, Retriever } from "../rag/types.js";
import type { GatewayState } from "../state/index.js";
import type { Logger } from "../util/log.js";
import { projectRoot } from "../util/paths.js";
import { buildIndexInChild, indexIsComplete } from "./rag-build.js";

export function buildChecker(config: Config, state: GatewayState, options: { ephemeral?: boolean }): SlopguardPackageChecker {
  const watchlist = state.shared?.watchlist ?? (options.ephemeral ? "memory" : undefined);
  return createPackageChecker({
    config: config.packages,
    ...(watchlist ? { watchlist } : {}),
    ...(state.shared ? { cache: state.shared.lookupCache("registry") } : {}),
  });
}

/**
 * A retriever that is usable at once: it reports not-ready (so the RAG mitigation
 * fails open) while the default index is built in the background on first start.
 */
export class LazyRetriever implements Retriever {
  private inner: Retriever | undefined;
  private failure: Error | undefined;
  private readonly opening: Promise<Retriever>;

  private readonly closing = new AbortController();

  constructor(open: (signal: AbortSignal) => Promise<Retriever>, onError?: (err: Error) => void) {
    this.opening = open(this.closing.signal).then(
      (r) => (this.inner = r),
      (err: Error) => {
        this.failure = err;
        onError?.(err);
        throw err;
      },
    );
    this.opening.catch(() => undefined);
  }

  ready(): boolean {
    return this.inner?.ready() ?? false;
  }

  status(): { ready: boolean; error?: string } {
    return { ready: this.ready(), ...(this.failure ? { error: this.failure.message } : {}) };
  }

  async retrieve(input: RetrieveInput): Promise<RetrievedStatement[]> {
    return (await this.opening).retrieve(input);
  }

  /** Resolves once the index is open (built first if missing); rejects when it cannot be. */
  async whenOpen(): Promise<void> {
    await this.opening;
  }

  async close(): Promise<void> {
    this.closing.abort();
    const r = await this.opening.catch(() => undefined);
    await r?.close();
  }
}

export function buildRetriever(config: Config, logger: Logger): LazyRetriever | undefined {
  if (!config.rag.enabled) return undefined;
  const rag = resolveRagPaths(config.rag, projectRoot());
  return new LazyRetriever(async (signal) => {
    if (rag.autoBuild && !(await indexIsComplete(rag))) await buildIndexInChild(rag, logger, signal);
    const retriever = createRetriever(rag);
    await retriever.whenReady();
    logger.info("rag retriever ready", { indexUri: rag.indexUri });
    return retriever;
  }, (err) => logger.warn("rag unavailable; the rag mitigation fails open", { err }));
}

export function buildPipeline(config: Config, deps: { checker: PackageChecker; retriever: Retriever | undefined }): MitigationPipeline {
  return createMitigationPipeline({
    config: config.mitigation,
    checker: deps.checker,
    retriever: deps.retriever,
    models: config.models,
    registry,
  });
}
