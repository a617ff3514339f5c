/**
 * Verdicts and risk signals end to end: snapshot, live fake registry, watchlist
 * (LMDB on disk, across a restart), typosquat, new, unpopular, cross-ecosystem.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, LmdbWatchlist } from "../../src/packages/index.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

let reg: FakeRegistry;
let dir: string;
beforeAll(async () => {
  reg = await startFakeRegistry();
  dir = mkdtempSync(join(tmpdir(), "slopguard-pkg-"));
});
afterAll(async () => {
  await reg.close();
  rmSync(dir, { recursive: true, force: true });
});

const NOW = Date.parse("2026-11-24T12:00:00Z");
const live = (watchlistPath: string, extra: Record<string, unknown> = {}) =>
  createPackageChecker({
    config: { timeoutMs: 5000, watchlistPath, cache: { negativeTtlMs: 1 }, ...extra },
    registryUrls: { npm: reg.url, pypiJson: `${reg.url}pypi/` },
    now: () => NOW,
  });

describe("verdicts", () => {
  it("settles snapshot names offline and flags hallucinations with a suggestion", async () => {
    const c = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
    const r = await c.check({ text: "```bash\npip install requests reqeusts\nnpm i express some-unlisted-npm-pkg-zz\n```" });
    const by = Object.fromEntries(r.packages.map((p) => [p.name, p]));
    expect(by.requests).toMatchObject({ verdict: "exists", via: "snapshot", risk: "none" });
    expect(by.reqeusts).toMatchObject({ verdict: "not_found", via: "snapshot", risk: "high", suggestion: "requests" });
    expect(by.express).toMatchObject({ verdict: "exists", via: "snapshot" });
    // The npm snapshot is partial: offline, a miss is unknown, not a hallucination.
    expect(by["some-unlisted-npm-pkg-zz"]).toMatchObject({ verdict: "unknown", via: "offline" });
    expect(r.totals).toEqual({ packages: 4, exists: 2, not_found: 1, unknown: 1, risky: 0, allowed: 0 });
    expect(r.verdict).toBe("hallucination");
    await c.close();
  });

  it("asks the live registry for npm misses and reports new, unpopular packages", async () => {
    reg.npm.set("brand-new-helper-zz", { created: "2026-11-20T00:00:00.000Z", latest: "0.0.1" });
    const c = live(join(dir, "wl-a"));
    const r = await c.check({ packages: ["brand-new-helper-zz", "missing-helper-zz"], ecosystem: "npm" });
    const [fresh, missing] = r.packages;
    expect(fresh).toMatchObject({ verdict: "exists", via: "registry", risk: "medium", registry: { firstPublished: "2026-11-20T00:00:00.000Z", latestVersion: "0.0.1" } });
    expect(fresh!.risks.map((x) => x.kind)).toEqual(["new", "unpopular"]);
    expect(missing).toMatchObject({ verdict: "not_found", via: "registry", risk: "high" });
    expect(r.verdict).toBe("hallucination");
    await c.close();
  });

  it("flags typosquats of much more popular names", async () => {
    const c = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
    // All exist on PyPI; "panda"/"numpi" are unranked, "pandas"/"numpy" are top-40.
    const r = await c.check({ packages: ["panda", "numpi", "pandas"], ecosystem: "pypi" });
    const [panda, numpi, real] = r.packages;
    expect(panda).toMatchObject({ verdict: "exists", risk: "medium", suggestion: "pandas" });
    expect(panda!.risks).toEqual([{ kind: "typosquat", similarTo: "pandas", detail: "within 1 edit of 'pandas' (rank 37)" }]);
    expect(numpi!.risks[0]).toMatchObject({ kind: "typosquat", similarTo: "numpy" });
    expect(real!.risks).toEqual([]);
    expect(r.verdict).toBe("risk");
    await c.close();
  });

  it("marks a Python answer naming an npm-only package as cross-ecosystem", async () => {
    const c = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
    const r = await c.check({ packages: ["react-dom-zz", "@babel/core"], ecosystem: "pypi" });
    const babel = r.packages.find((p) => p.name === "@babel/core");
    expect(babel).toMatchObject({ verdict: "not_found" });
    expect(babel!.risks[0]).toMatchObject({ kind: "cross_ecosystem" });
    await c.close();
  });

  it("keeps conda packages apart with no verdict against PyPI", async () => {
    const c = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
    const r = await c.check({ text: "```bash\nconda install -c conda-forge gdal\n```" });
    expect(r.packages).toMatchObject([{ ecosystem: "conda", name: "gdal", verdict: "unknown", risk: "none" }]);
    expect(r.verdict).toBe("clean");
    await c.close();
  });
});

describe("watchlist", () => {
  it("survives a restart and flags a once-hallucinated name that now exists (highest risk)", async () => {
    const path = join(dir, "wl-restart");
    const first = live(path);
    const r1 = await first.check({ packages: ["slopsquat-target-zz"], ecosystem: "npm" });
    expect(r1.packages[0]).toMatchObject({ verdict: "not_found", via: "registry" });
    await first.close();

    // Someone registers the name the model invented; the gateway restarts.
    reg.npm.set("slopsquat-target-zz", { created: "2026-11-24T00:00:00.000Z" });
    const reopened = new LmdbWatchlist(path);
    expect(await reopened.get("npm", "slopsquat-target-zz")).toMatchObject({ ecosystem: "npm", timesSeen: 1 });
    await reopened.close();

    const second = live(path);
    const r2 = await second.check({ packages: ["slopsquat-target-zz"], ecosystem: "npm" });
    const p = r2.packages[0]!;
    expect(p).toMatchObject({ verdict: "exists", risk: "high" });
    expect(p.risks.map((x) => x.kind)).toEqual(["watchlist", "new", "unpopular"]);
    expect(r2.verdict).toBe("risk");
    await second.close();
  });

  it("counts repeated sightings", async () => {
    const path = join(dir, "wl-count");
    const c = createPackageChecker({ config: { mode: "offline", watchlistPath: path } });
    await c.check({ packages: ["Invented_Pkg.ZZ"], ecosystem: "pypi" });
    await c.check({ packages: ["invented-pkg-zz"], ecosystem: "pypi" });
    await c.close();
    const wl = new LmdbWatchlist(path);
    expect(await wl.get("pypi", "invented-pkg-zz")).toMatchObject({ name: "invented-pkg-zz", timesSeen: 2 });
    await wl.close();
  });
});
