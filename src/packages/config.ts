/**
 * The `packages` section of the gateway config: registries, live/offline mode,
 * timeouts, cache TTLs, risk thresholds and the watchlist location.
 * Registry base URLs are never written in code: when left out they come from
 * `npm config get registry`, `PIP_INDEX_URL` or `pip config` (see registry-urls.ts).
 */
import { z } from "zod";

const url = z.string().url();
/** A package name, or a glob of one with `*` / `?`. */
const AllowPattern = z.string().min(1).max(214).regex(/^[@A-Za-z0-9._\-/*?]+$/, "a package name or a glob with * and ?");

export const PackagesConfigSchema = z.strictObject({
  /** live: ask registries about names the snapshot does not settle; offline: never touch the network. */
  mode: z.enum(["live", "offline"]).default("live"),
  registries: z
    .strictObject({
      npm: z.strictObject({ url: url.optional() }).default({}),
      pypi: z
        .strictObject({
          /** A PEP 503 simple index URL (as in PIP_INDEX_URL); file: URLs of a local mirror work too. */
          indexUrl: url.optional(),
          /** Base of the JSON API (`<base>/<name>/json`); derived from indexUrl's `/simple` when left out. */
          jsonUrl: url.optional(),
          /** json gives first-publish times (for the `new` signal); simple only says exists or not. */
          api: z.enum(["json", "simple"]).default("json"),
        })
        .default({ api: "json" }),
    })
    .default({ npm: {}, pypi: { api: "json" } }),
  /** PyPI names missing from the (complete but dated) snapshot are re-asked live: new registrations are the attack. */
  recheckPypiMisses: z.boolean().default(true),
  timeoutMs: z.number().int().positive().default(3000),
  concurrency: z.number().int().positive().max(64).default(8),
  cache: z
    .strictObject({
      maxEntries: z.number().int().positive().default(20_000),
      ttlMs: z.number().int().positive().default(6 * 3600_000),
      /** Short, so a name registered after a miss is noticed soon (the watchlist case). */
      negativeTtlMs: z.number().int().positive().default(10 * 60_000),
    })
    .default({ maxEntries: 20_000, ttlMs: 6 * 3600_000, negativeTtlMs: 10 * 60_000 }),
  risk: z
    .strictObject({
      /** `new` when first published fewer than this many days ago. */
      newDays: z.number().int().min(0).default(30),
      /** `unpopular` below this many npm downloads a month. */
      unpopularDownloads: z.number().int().min(0).default(100),
      /** Largest edit distance for `typosquat` and suggestions (names of ≤ 5 characters use 1). */
      maxDistance: z.number().int().min(1).max(3).default(2),
      /** A PyPI name counts as popular for typosquat targets when ranked at most this. */
      popularPypiRank: z.number().int().positive().default(5000),
      /** An npm name counts as popular for typosquat targets at this many downloads a month. */
      popularNpmDownloads: z.number().int().positive().default(100_000),
      /** "Much more popular": rank ratio (PyPI) or downloads ratio (npm). */
      popularityRatio: z.number().positive().default(50),
    })
    .default({ newDays: 30, unpopularDownloads: 100, maxDistance: 2, popularPypiRank: 5000, popularNpmDownloads: 100_000, popularityRatio: 50 }),
  /**
   * Private packages: exact names or globs (`@acme/*`, `acme-*`) per ecosystem. They get the
   * verdict `allowed` and are never sent to a registry.
   */
  allow: z
    .strictObject({
      pypi: z.array(AllowPattern).max(10_000).default([]),
      npm: z.array(AllowPattern).max(10_000).default([]),
      conda: z.array(AllowPattern).max(10_000).default([]),
    })
    .default({ pypi: [], npm: [], conda: [] }),
  /** Live registry lookups one check may start; names past it get `unknown` (via `limit`) and the report `incomplete`. */
  maxLookups: z.number().int().min(0).default(64),
  /**
   * Live registry lookups one API key (or client address, without keys) may start per minute, across
   * its requests and replicas (through `state`); names past it get `unknown` (via `limit`). 0 = no cap.
   */
  maxLookupsPerKey: z.number().int().min(0).default(600),
  /** Distinct packages one check judges; the rest get `unknown` (via `limit`): bounds CPU and watchlist writes per answer. */
  maxPackages: z.number().int().positive().default(1000),
  /** LMDB folder of the hallucination watchlist; relative to the working directory. */
  watchlistPath: z.string().min(1).default("data/state/watchlist"),
  /** Folder with registry/ and mappings/ (the copied snapshot); found automatically when left out. */
  dataDir: z.string().optional(),
});
export type PackagesConfig = z.infer<typeof PackagesConfigSchema>;
