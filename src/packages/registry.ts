/**
 * Live registry lookups for names the snapshot does not settle: npm packuments and
 * the PyPI JSON API or simple index. Bounded concurrency, timeouts, a shared cache
 * (negative entries short-lived, failures never cached) and in-flight de-duplication.
 * Only names that pass validation are ever put into a URL.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import { z } from "zod";
import type { LookupCache } from "../state/types.js";
import type { LookupBudget } from "./lookup-budget.js";

/** What one check may still start: `left` of its own `maxLookups`, within its API key's budget. */
export interface LookupAllowance {
  left: number;
  perKey?: LookupBudget;
}
import type { PackagesConfig } from "./config.js";
import { isValidName, normalizePypi } from "./names.js";
import type { RegistryUrls } from "./registry-urls.js";
import type { Ecosystem } from "./types.js";

export interface RegistryInfo {
  firstPublished?: string;
  latestVersion?: string;
  repository?: string;
}

export interface LookupResult {
  status: "exists" | "not_found" | "unknown";
  /** limit: not asked, the caller's lookup budget was spent. */
  via: "registry" | "cache" | "offline" | "limit";
  info?: RegistryInfo;
  /** Why the status is unknown. */
  error?: string;
}

type Cached = Pick<LookupResult, "status" | "info">;

const Packument = z.looseObject({
  "dist-tags": z.looseObject({ latest: z.string().optional() }).optional(),
  time: z.record(z.string(), z.unknown()).optional(),
  repository: z.union([z.string(), z.looseObject({ url: z.string().optional() })]).optional(),
});

const PypiJson = z.looseObject({
  info: z.looseObject({ version: z.string().optional(), project_urls: z.record(z.string(), z.string()).nullish() }),
  releases: z.record(z.string(), z.array(z.looseObject({ upload_time_iso_8601: z.string().nullish() }))).optional(),
});

const PypiSimple = z.looseObject({ files: z.array(z.looseObject({ "upload-time": z.string().optional() })).optional() });

export interface RegistryClientOptions {
  config: PackagesConfig;
  urls: () => Promise<RegistryUrls>;
  cache: LookupCache<Cached>;
}

export class RegistryClient {
  private readonly limit;
  private readonly inflight = new Map<string, Promise<LookupResult>>();

  constructor(private readonly opts: RegistryClientOptions) {
    this.limit = pLimit(opts.config.concurrency);
  }

  /**
   * `budget.left` counts the requests this caller may still start: a cache hit or joining a
   * request already in flight is free; past zero, or past the key's `perKey` budget, the answer
   * is `unknown` via `limit`.
   */
  async lookup(ecosystem: Ecosystem, name: string, signal?: AbortSignal, budget?: LookupAllowance): Promise<LookupResult> {
    if (!isValidName(ecosystem, name)) return { status: "not_found", via: "registry", error: "invalid name" };
    if (this.opts.config.mode === "offline") return { status: "unknown", via: "offline" };
    const key = `${ecosystem}:${ecosystem === "pypi" ? normalizePypi(name) : name}`;
    const hit = await this.opts.cache.get(key);
    if (hit) return { ...hit, via: "cache" };
    const running = this.inflight.get(key);
    if (running) return running;
    if (budget) {
      if (budget.left <= 0) return { status: "unknown", via: "limit", error: "lookup limit of this check reached" };
      budget.left--;
    }
    const perKey = budget?.perKey;
    if (perKey) {
      if (!(await perKey.take())) return { status: "unknown", via: "limit", error: "lookup limit of this API key reached" };
      // The budget may have waited on shared state: join a lookup of the same name started meanwhile.
      const started = this.inflight.get(key);
      if (started) return started;
    }
    const p = this.limit(() => this.fetchAndCache(ecosystem, name, key, signal)).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async fetchAndCache(ecosystem: Ecosystem, name: string, key: string, signal?: AbortSignal): Promise<LookupResult> {
    const result = ecosystem === "npm" ? await this.npm(name, signal) : await this.pypi(name, signal);
    if (result.status !== "unknown") {
      const { ttlMs, negativeTtlMs } = this.opts.config.cache;
      const cached: Cached = result.info ? { status: result.status, info: result.info } : { status: result.status };
      await this.opts.cache.set(key, cached, result.status === "exists" ? ttlMs : negativeTtlMs);
    }
    return result;
  }

  private async get(url: string, accept: string, signal?: AbortSignal): Promise<{ status: number; body?: unknown } | { error: string }> {
    const timeout = AbortSignal.timeout(this.opts.config.timeoutMs);
    try {
      const res = await fetch(url, { headers: { accept }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, redirect: "follow" });
      if (res.status !== 200) {
        await res.body?.cancel();
        return { status: res.status };
      }
      return { status: 200, body: await res.json().catch(() => undefined) };
    } catch (err) {
      return { error: timeout.aborted ? `timeout after ${this.opts.config.timeoutMs} ms` : (err as Error).message };
    }
  }

  private async npm(name: string, signal?: AbortSignal): Promise<LookupResult> {
    const base = (await this.opts.urls()).npm;
    if (!base) return { status: "unknown", via: "offline", error: "no npm registry configured" };
    // Scoped names keep their `@` and encode the slash, as the npm client does.
    const res = await this.get(base + encodeURIComponent(name).replace(/^%40/, "@"), "application/json", signal);
    if ("error" in res) return { status: "unknown", via: "registry", error: res.error };
    if (res.status === 404) return { status: "not_found", via: "registry" };
    if (res.status !== 200) return { status: "unknown", via: "registry", error: `HTTP ${res.status}` };
    const doc = Packument.safeParse(res.body);
    if (!doc.success) return { status: "unknown", via: "registry", error: "malformed packument" };
    const info: RegistryInfo = {};
    const created = doc.data.time?.created;
    if (typeof created === "string") info.firstPublished = created;
    if (doc.data["dist-tags"]?.latest) info.latestVersion = doc.data["dist-tags"].latest;
    const repo = doc.data.repository;
    const repoUrl = typeof repo === "string" ? repo : repo?.url;
    if (repoUrl) info.repository = repoUrl;
    return { status: "exists", via: "registry", info };
  }

  private async pypi(name: string, signal?: AbortSignal): Promise<LookupResult> {
    const urls = await this.opts.urls();
    const n = normalizePypi(name);
    if (this.opts.config.registries.pypi.api === "json" && urls.pypiJson) {
      const res = await this.get(`${urls.pypiJson}${n}/json`, "application/json", signal);
      if ("error" in res) return { status: "unknown", via: "registry", error: res.error };
      if (res.status === 404) return { status: "not_found", via: "registry" };
      if (res.status !== 200) return { status: "unknown", via: "registry", error: `HTTP ${res.status}` };
      const doc = PypiJson.safeParse(res.body);
      if (!doc.success) return { status: "unknown", via: "registry", error: "malformed JSON API reply" };
      return { status: "exists", via: "registry", info: pypiInfo(doc.data) };
    }
    if (!urls.pypiSimple) return { status: "unknown", via: "offline", error: "no PyPI index configured" };
    if (urls.pypiSimple.startsWith("file:")) {
      // A local mirror laid out as a PEP 503 tree: the project folder exists or not.
      const found = existsSync(fileURLToPath(`${urls.pypiSimple}${n}/`));
      return { status: found ? "exists" : "not_found", via: "registry" };
    }
    const res = await this.get(`${urls.pypiSimple}${n}/`, "application/vnd.pypi.simple.v1+json", signal);
    if ("error" in res) return { status: "unknown", via: "registry", error: res.error };
    if (res.status === 404) return { status: "not_found", via: "registry" };
    if (res.status !== 200) return { status: "unknown", via: "registry", error: `HTTP ${res.status}` };
    const times = PypiSimple.safeParse(res.body).data?.files?.map((f) => f["upload-time"]).filter((t): t is string => !!t) ?? [];
    return { status: "exists", via: "registry", info: times.length ? { firstPublished: times.sort()[0]! } : {} };
  }
}

function pypiInfo(doc: z.infer<typeof PypiJson>): RegistryInfo {
  const info: RegistryInfo = {};
  const times = Object.values(doc.releases ?? {}).flat().map((f) => f.upload_time_iso_8601).filter((t): t is string => !!t);
  if (times.length) info.firstPublished = times.sort()[0]!;
  if (doc.info.version) info.latestVersion = doc.info.version;
  const urls = doc.info.project_urls ?? {};
  const repo = Object.entries(urls).find(([k]) => /source|repo|code|github/i.test(k))?.[1];
  if (repo) info.repository = repo;
  return info;
}
