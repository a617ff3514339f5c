/**
 * Live lookups against a fake registry on 127.0.0.1: 200, 404, timeouts, 5xx, the
 * cache (negative entries short-lived), offline mode, bounded concurrency, and names
 * that must never reach a URL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MemoryLookupCache } from "../../src/packages/cache.js";
import { PackagesConfigSchema } from "../../src/packages/config.js";
import { createPackageChecker, type CachedLookup } from "../../src/packages/index.js";
import { RegistryClient } from "../../src/packages/registry.js";
import { discoverRegistryUrls, jsonBaseOfIndex } from "../../src/packages/registry-urls.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

let reg: FakeRegistry;
beforeAll(async () => {
  reg = await startFakeRegistry();
});
afterAll(() => reg.close());
beforeEach(() => {
  reg.requests.length = 0;
  reg.npm.clear();
  reg.pypi.clear();
  reg.failing.clear();
  reg.slow.clear();
  reg.maxInFlight = 0;
});

function client(overrides: Record<string, unknown> = {}, api: "json" | "simple" = "json"): RegistryClient {
  const config = PackagesConfigSchema.parse({ timeoutMs: 5000, ...overrides, registries: { pypi: { api } } });
  const urls = { npm: reg.url, pypiJson: `${reg.url}pypi/`, pypiSimple: `${reg.url}simple/` };
  return new RegistryClient({ config, cache: new MemoryLookupCache<CachedLookup>(100), urls: async () => urls });
}

describe("registry client", () => {
  it("200 → exists with first publish, latest version and repository; then served from cache", async () => {
    reg.npm.set("left-pad-x", { created: "2026-11-20T00:00:00.000Z", latest: "2.0.1", repository: "git+ssh://example.invalid/x.git" });
    const c = client();
    const first = await c.lookup("npm", "left-pad-x");
    expect(first).toEqual({ status: "exists", via: "registry", info: { firstPublished: "2026-11-20T00:00:00.000Z", latestVersion: "2.0.1", repository: "git+ssh://example.invalid/x.git" } });
    const second = await c.lookup("npm", "left-pad-x");
    expect(second.via).toBe("cache");
    expect(reg.requests).toEqual(["/left-pad-x"]);
  });

  it("404 → not_found, cached only for the short negative TTL", async () => {
    const c = client({ cache: { negativeTtlMs: 80 } });
    expect((await c.lookup("pypi", "No_Such.Pkg")).status).toBe("not_found");
    expect((await c.lookup("pypi", "no-such-pkg")).via).toBe("cache");
    expect(reg.requests).toEqual(["/pypi/no-such-pkg/json"]);
    await new Promise((r) => setTimeout(r, 120));
    reg.pypi.set("no-such-pkg", { created: "2026-11-23T00:00:00Z" });
    const later = await c.lookup("pypi", "no-such-pkg");
    expect(later).toMatchObject({ status: "exists", via: "registry", info: { firstPublished: "2026-11-23T00:00:00Z" } });
  });

  it("times out to unknown and never caches it", async () => {
    reg.npm.set("sloth", {});
    reg.slow.set("sloth", 1000);
    const c = client({ timeoutMs: 150 });
    const r = await c.lookup("npm", "sloth");
    expect(r.status).toBe("unknown");
    expect(r.error).toMatch(/timeout after 150 ms/);
    // Not cached: the next lookup goes to the registry again (its result depends on machine load).
    const again = await c.lookup("npm", "sloth");
    expect(again.via).toBe("registry");
    expect(reg.requests).toEqual(["/sloth", "/sloth"]);
  });

  it("5xx → unknown, not cached", async () => {
    reg.failing.add("flaky");
    const c = client();
    expect(await c.lookup("npm", "flaky")).toMatchObject({ status: "unknown", error: "HTTP 500" });
    expect(await c.lookup("npm", "flaky")).toMatchObject({ status: "unknown" });
    expect(reg.requests).toEqual(["/flaky", "/flaky"]);
  });

  it("encodes scoped names as the npm client does", async () => {
    reg.npm.set("@acme/widget", {});
    expect((await client().lookup("npm", "@acme/widget")).status).toBe("exists");
    expect(reg.requests).toEqual(["/@acme%2Fwidget"]);
  });

  it("uses the simple index when configured", async () => {
    reg.pypi.set("tiny-lib", { created: "2020-05-05T00:00:00Z" });
    const c = client({}, "simple");
    expect(await c.lookup("pypi", "Tiny_Lib")).toEqual({ status: "exists", via: "registry", info: { firstPublished: "2020-05-05T00:00:00Z" } });
    expect(await c.lookup("pypi", "absent")).toMatchObject({ status: "not_found" });
    expect(reg.requests).toEqual(["/simple/tiny-lib/", "/simple/absent/"]);
  });

  it("offline mode never touches the network", async () => {
    reg.npm.set("anything", {});
    expect(await client({ mode: "offline" }).lookup("npm", "anything")).toEqual({ status: "unknown", via: "offline" });
    expect(reg.requests).toEqual([]);
  });

  it("bounds concurrency", async () => {
    for (let i = 0; i < 12; i++) {
      reg.npm.set(`pkg-${i}`, {});
      reg.slow.set(`pkg-${i}`, 40);
    }
    const c = client({ concurrency: 3 });
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => c.lookup("npm", `pkg-${i}`)));
    expect(all.every((r) => r.status === "exists")).toBe(true);
    expect(reg.maxInFlight).toBeLessThanOrEqual(3);
    expect(reg.requests).toHaveLength(12);
  });

  it("de-duplicates concurrent lookups of one name", async () => {
    reg.npm.set("popular", {});
    reg.slow.set("popular", 30);
    const c = client();
    await Promise.all([c.lookup("npm", "popular"), c.lookup("npm", "popular"), c.lookup("npm", "popular")]);
    expect(reg.requests).toEqual(["/popular"]);
  });

  const HOSTILE = ["../etc/passwd", "a/b", "..", "%2e%2e", "%2e%2e%2fadmin", "foo bar", " foo", "foo\n", "\tfoo", "ünïcödé", "пакет", "@scope/../x", "@scope/a/b", "foo%2fbar", "", "a".repeat(215), "foo?x=1", "foo#frag", "http://evil"];
  it.each(["npm", "pypi"] as const)("never puts an invalid %s name into a URL", async (eco) => {
    const c = client();
    for (const name of HOSTILE) {
      const r = await c.lookup(eco, name);
      expect(r, name).toMatchObject({ status: "not_found", error: "invalid name" });
    }
    const checker = createPackageChecker({ config: { timeoutMs: 5000 }, watchlist: "memory", registryUrls: { npm: reg.url, pypiJson: `${reg.url}pypi/` } });
    const report = await checker.check({ packages: HOSTILE, ecosystem: eco });
    await checker.close();
    // Parsing a list entry trims whitespace, so " foo" / "foo\n" are checked as the valid
    // name "foo"; nothing else may reach the registry.
    expect(report.packages.filter((p) => p.name !== "foo").every((p) => p.verdict === "not_found")).toBe(true);
    for (const path of reg.requests) expect(path).toBe(eco === "npm" ? "/foo" : "/pypi/foo/json");
  });
});

describe("registry URLs come from configuration", () => {
  it("prefers the config file, then PIP_INDEX_URL / npm_config_registry", async () => {
    const config = PackagesConfigSchema.parse({ registries: { npm: { url: "http://127.0.0.1:1/npm" } } });
    const urls = await discoverRegistryUrls(config, { PIP_INDEX_URL: "http://127.0.0.1:2/simple" });
    expect(urls).toEqual({ npm: "http://127.0.0.1:1/npm/", pypiSimple: "http://127.0.0.1:2/simple/", pypiJson: "http://127.0.0.1:2/pypi/" });
    const fromEnv = await discoverRegistryUrls(PackagesConfigSchema.parse({}), { npm_config_registry: "http://127.0.0.1:3/", PIP_INDEX_URL: "file:///opt/mirror/simple" });
    expect(fromEnv).toEqual({ npm: "http://127.0.0.1:3/", pypiSimple: "file:///opt/mirror/simple/" });
  });

  it("derives the JSON API only from an http(s) /simple index", () => {
    expect(jsonBaseOfIndex("http://127.0.0.1:9/repo/simple/")).toBe("http://127.0.0.1:9/repo/pypi/");
    expect(jsonBaseOfIndex("http://127.0.0.1:9/custom-index")).toBeUndefined();
  });
});
