/**
 * The RAG index end to end on a fixture slice of the shipped selection (~520 packages):
 * LanceDB on disk, an interrupted build that resumes, two builders at once, retrieval
 * with the relevance threshold, and a vector/hybrid index with the shipped embedder.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../src/rag/build.js";
import { RagConfigSchema, type RagConfig } from "../../src/rag/config.js";
import { createRetriever, ensureIndex, fuseRrf, indexServes } from "../../src/rag/index.js";
import { normaliseQuery } from "../../src/rag/query.js";
import type { RagRetriever } from "../../src/rag/retriever.js";

const root = path.resolve(import.meta.dirname, "../..");
const fixtureData = path.join(import.meta.dirname, "fixtures", "data");

let tmp: string;
let config: RagConfig;
let retriever: RagRetriever;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "slopguard-rag-"));
  config = RagConfigSchema.parse({ indexUri: path.join(tmp, "index"), dataDir: fixtureData });
  // Stop the first build after its first appended chunk, as a crash would.
  await expect(
    buildIndex({ config, chunkRows: 100, onProgress: (p) => { if (p.phase === "write" && p.done > 0) throw new Error("interrupted"); } }),
  ).rejects.toThrow("interrupted");
  // Two builders at once (side-by-side gateways): one resumes, the other waits on the lock and skips.
  const both = await Promise.all([buildIndex({ config, chunkRows: 100 }), buildIndex({ config, chunkRows: 100 })]);
  expect(both.map((b) => b.skipped).sort()).toEqual([false, true]);
  expect(both.every((b) => b.manifest.complete)).toBe(true);
  retriever = createRetriever(config);
  await retriever.whenReady();
});

afterAll(async () => {
  await retriever?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function top(prompt: string, ecosystem?: "pypi" | "npm"): Promise<string[]> {
  return (await retriever.retrieve({ query: normaliseQuery(prompt), ecosystem })).map((h) => h.package);
}

describe("index build", () => {
  it("resumed the interrupted build without duplicating rows, without vectors, and wrote the manifest", async () => {
    const { manifest, skipped } = await buildIndex({ config });
    expect(skipped).toBe(true); // idempotent: same inputs, nothing to do
    expect(manifest).toMatchObject({ version: 3, complete: true, modelId: null, dims: 0, annIndex: null });
    expect(manifest.rowsWritten).toBe(manifest.rows);
    expect(manifest.packages.pypi + manifest.packages.npm).toBe(manifest.rows);
    const db = await lancedb.connect(config.indexUri);
    const table = await db.openTable(config.table);
    const rows = (await table.query().select(["package", "ecosystem"]).toArray()) as { package: string; ecosystem: string }[];
    expect(rows.length).toBe(manifest.rows);
    expect(new Set(rows.map((r) => `${r.ecosystem}|${r.package}`)).size).toBe(rows.length);
    table.close();
    db.close();
    expect(retriever.size()).toBe(manifest.rows);
  });

  it("ensureIndex leaves a complete index alone; one without vectors does not serve a vector mode", async () => {
    const res = await ensureIndex(config);
    expect(res.built).toBe(false);
    expect(res.manifest.complete).toBe(true);
    expect(indexServes(res.manifest, config)).toBe(true);
    expect(indexServes(res.manifest, { ...config, mode: "hybrid" })).toBe(false);
    expect(indexServes({ ...res.manifest, complete: false }, config)).toBe(false);
  });

  it("ensureIndex rebuilds an index of the older layout (manifest version 2, no tags or about columns)", async () => {
    const old = RagConfigSchema.parse({ indexUri: path.join(tmp, "v2"), dataDir: fixtureData });
    const db = await lancedb.connect(old.indexUri);
    const row = { package: "x", ecosystem: "pypi", statement: "Package x could answer questions about y.", summary: "y", imports: "", keywords: "", questions: "", popularity: 1 };
    (await db.createTable(old.table, [row])).close();
    (await db.createTable("manifest", [{ json: JSON.stringify({ version: 2, complete: true, fingerprint: "v2", table: old.table }) }])).close();
    db.close();
    const res = await ensureIndex(old, { onProgress: () => undefined });
    expect(res).toMatchObject({ built: true, manifest: { version: 3, complete: true } });
    const r = createRetriever(old);
    await r.whenReady();
    expect(r.size()).toBe(res.manifest.rows);
    await r.close();
  });

  it("ensureIndex rebuilds an index built from other data than the folder holds now (a checkout that brought a side file)", async () => {
    const data = path.join(tmp, "data-changed");
    cpSync(fixtureData, data, { recursive: true });
    rmSync(path.join(data, "npm-uses.tsv.gz"));
    const cfg = RagConfigSchema.parse({ indexUri: path.join(tmp, "changed"), dataDir: data });
    const quiet = { onProgress: () => undefined };
    const first = await ensureIndex(cfg, quiet);
    expect(first.built).toBe(true);
    expect(indexServes(first.manifest, cfg)).toBe(true);

    cpSync(path.join(fixtureData, "npm-uses.tsv.gz"), path.join(data, "npm-uses.tsv.gz"));
    expect(indexServes(first.manifest, cfg)).toBe(false);
    // Built with generated questions: kept, the model that wrote them may be gone.
    expect(indexServes({ ...first.manifest, generator: "some-model" }, cfg)).toBe(true);
    const second = await ensureIndex(cfg, quiet);
    expect(second.built).toBe(true);
    expect(second.manifest.dataDigest).not.toBe(first.manifest.dataDigest);
    expect((await ensureIndex(cfg, quiet)).built).toBe(false);

    // An index from before the digest was kept, same rows: not rebuilt, the digest is recorded.
    const { dataDigest, ...older } = second.manifest;
    const db = await lancedb.connect(cfg.indexUri);
    (await db.createTable("manifest", [{ json: JSON.stringify(older) }], { mode: "overwrite" })).close();
    db.close();
    const third = await ensureIndex(cfg, quiet);
    expect(third).toMatchObject({ built: false, manifest: { dataDigest } });
    expect((await ensureIndex(cfg, quiet)).built).toBe(false);
  });
});

describe("retrieval", () => {
  it.each([
    ["Generate Python code that reads and writes YAML configuration files", "pypi", "pyyaml"],
    ["Generate Python code that connects to a PostgreSQL database and runs a query", "pypi", "psycopg2-binary"],
    ["How do I send an HTTP GET request and read the JSON in Python?", "pypi", "requests"],
    ["Generate JavaScript code that styles terminal strings with colors", "npm", "chalk"],
    ["Create a minimalist web framework server in JavaScript", "npm", "express"],
    // Found by Debian's description ("reverse proxies and load balancers"), not the summary.
    ["Build a reverse proxy and load balancer in Node", "npm", "http-proxy"],
    ["Convert a WAV file to MP3 in Python", "pypi", "pydub"],
  ] as const)("%s -> %s:%s", async (prompt, eco, expected) => {
    expect(await top(prompt, eco)).toContain(expected);
  });

  it("returns at most k canonical statements, one per package, with scores and relevance", async () => {
    const hits = await retriever.retrieve({ query: "parse YAML", ecosystem: "pypi", k: 3 });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(3);
    for (const h of hits) {
      expect(h.statement).toMatch(/^Package \S+ could answer questions about .+\.$/);
      expect(h.statement.startsWith(`Package ${h.package} `)).toBe(true);
      expect(h.relevance).toBeGreaterThanOrEqual(config.minRelevance);
    }
    expect(new Set(hits.map((h) => h.package)).size).toBe(hits.length);
  });

  it("adds nothing when no package is relevant enough, and k anyway with the threshold off", async () => {
    // Most of this task's words match nothing: the few popular packages that share "file" stay out.
    const task = "frobnicate the wobblefrotz zzqx file";
    expect(await retriever.retrieve({ query: task, ecosystem: "pypi" })).toEqual([]);
    expect(await retriever.retrieve({ query: task, ecosystem: "npm" })).toEqual([]);
    expect(await retriever.retrieve({ query: task, ecosystem: "pypi", minRelevance: 0 })).toHaveLength(5);
    // A strict threshold keeps only packages that match every word of the task.
    const strict = await retriever.retrieve({ query: "YAML parser", ecosystem: "pypi", minRelevance: 1 });
    expect(strict.length).toBeGreaterThan(0);
    for (const h of strict) expect(h.relevance).toBe(1);
  });

  it("filters by ecosystem", async () => {
    const py = await retriever.retrieve({ query: "YAML parser", ecosystem: "pypi" });
    const js = await retriever.retrieve({ query: "YAML parser", ecosystem: "npm" });
    expect(py.length).toBeGreaterThan(0);
    expect(js.length).toBeGreaterThan(0);
    expect(py.every((h) => h.ecosystem === "pypi")).toBe(true);
    expect(js.every((h) => h.ecosystem === "npm")).toBe(true);
  });

  it("treats query syntax as plain words", async () => {
    const hits = await retriever.retrieve({ query: 'yaml" OR (x:* AND {}) -- ; DROP TABLE', ecosystem: "pypi", minRelevance: 0 });
    expect(hits.map((h) => h.package)).toContain("pyyaml");
    expect(await retriever.retrieve({ query: "?!*" })).toEqual([]);
  });

  it("a vector mode on an index without vectors fails with the reason", async () => {
    await expect(retriever.retrieve({ query: "yaml", mode: "vector" })).rejects.toThrow(/no vectors/);
  });
});

describe("vector and hybrid modes (shipped embedder)", () => {
  it("builds vectors only when the mode needs them, and answers in both modes", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "slopguard-rag-vec-"));
    const cfg = RagConfigSchema.parse({
      indexUri: path.join(dir, "index"),
      dataDir: fixtureData,
      mode: "hybrid",
      embedder: { model: path.join(root, "models", "embedder"), batchSize: 64 },
    });
    try {
      const { manifest } = await buildIndex({ config: cfg });
      expect(manifest.dims).toBeGreaterThan(0);
      const r = createRetriever(cfg);
      try {
        for (const mode of ["vector", "hybrid"] as const) {
          const hits = await r.retrieve({ query: "YAML parser and emitter", ecosystem: "pypi", mode });
          expect(hits.map((h) => h.package), mode).toContain("pyyaml");
        }
      } finally {
        await r.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("fuseRrf", () => {
  it("ranks what both lists agree on first", () => {
    const h = (key: string) => ({ key, score: 0 });
    const fused = fuseRrf([[h("a"), h("b"), h("c")], [h("c"), h("b")]], 60);
    expect(fused.map((x) => x.key)).toEqual(["c", "b", "a"]);
  });
});
