/**
 * Package intelligence: the factory everyone else calls. One options object, so
 * callers can inject shared state (a Redis Watchlist / LookupCache) or a snapshot.
 */
import type { LookupCache, Watchlist } from "../state/types.js";
import { MemoryLookupCache } from "./cache.js";
import { Checker } from "./checker.js";
import { PackagesConfigSchema, type PackagesConfig } from "./config.js";
import { RegistryClient, type LookupResult } from "./registry.js";
import { discoverRegistryUrls, type RegistryUrls } from "./registry-urls.js";
import { Popularity } from "./risk.js";
import { defaultSnapshot, loadSnapshot, type Snapshot } from "./snapshot.js";
import type { CheckInput, FoundPackage, PackageChecker } from "./types.js";
import { LmdbWatchlist, MemoryWatchlist } from "./watchlist.js";

export type * from "./types.js";
export { PackagesConfigSchema, type PackagesConfig } from "./config.js";
export { loadSnapshot, defaultSnapshot, type Snapshot } from "./snapshot.js";
export { LmdbWatchlist, MemoryWatchlist } from "./watchlist.js";
export { MemoryLookupCache } from "./cache.js";
export { normalizePypi, isValidNpmName, isValidPypiName, packageKey } from "./names.js";
export { ToolSpecsSchema, ToolSpecSchema, DEFAULT_TOOL_SPECS, resolveToolSpecs, type ToolSpec, type ToolSpecs, type ToolSpecsInput } from "./toolcalls/config.js";

export type CachedLookup = Pick<LookupResult, "status" | "info">;

export interface PackageCheckerOptions {
  /** The `packages` config section (raw or parsed); defaults apply to what is left out. */
  config?: unknown;
  /** A loaded snapshot to share; by default the process-wide one from data/. */
  snapshot?: Snapshot;
  /** Shared state: by default an LMDB watchlist at config.watchlistPath ("memory" keeps it in process). */
  watchlist?: Watchlist | "memory";
  cache?: LookupCache<CachedLookup>;
  /** Registry base URLs; by default from config, then npm/pip configuration. */
  registryUrls?: RegistryUrls;
  /** Clock for the `new` signal (tests). */
  now?: () => number;
}

export interface SlopguardPackageChecker extends PackageChecker {
  /** Extraction only, no lookups (eval and fine-tuning use it to label text). */
  extract(input: CheckInput): FoundPackage[];
  readonly config: PackagesConfig;
  readonly snapshot: Snapshot;
  /** Waits for pending watchlist writes. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function createPackageChecker(options: PackageCheckerOptions = {}): SlopguardPackageChecker {
  const config = PackagesConfigSchema.parse(options.config ?? {});
  const snapshot = options.snapshot ?? (config.dataDir ? loadSnapshot({ dataDir: config.dataDir }) : defaultSnapshot());
  const watchlist =
    options.watchlist === "memory" ? new MemoryWatchlist() : (options.watchlist ?? new LmdbWatchlist(config.watchlistPath));
  let urls: Promise<RegistryUrls> | undefined;
  const registryUrls = (): Promise<RegistryUrls> =>
    (urls ??= options.registryUrls ? Promise.resolve(options.registryUrls) : discoverRegistryUrls(config));
  // Discovery may run `npm config get registry` (~1 s): start it now so the first lookup does not wait.
  if (config.mode === "live") void registryUrls();
  const registry = new RegistryClient({
    config,
    cache: options.cache ?? new MemoryLookupCache<CachedLookup>(config.cache.maxEntries),
    urls: registryUrls,
  });
  const checker = new Checker({ config, snapshot, registry, popularity: new Popularity(snapshot, config.risk), watchlist, now: options.now ?? Date.now });
  return {
    config,
    snapshot,
    check: (input, opts) => checker.check(input, opts),
    extract: (input) => checker.extract(input),
    // Only close what this factory opened; injected state belongs to its owner.
    flush: () => checker.flush(),
    close: async () => {
      await checker.flush();
      if (options.watchlist === undefined || options.watchlist === "memory") await watchlist.close();
    },
  };
}
