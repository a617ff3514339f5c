import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { env } from "@xenova/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../rag-index/build.js";
import { RagConfigSchema, type RagConfig } from "../../src/rag/config.js";
import { loadEmbedder, type Embedder } from "../../src/rag/embedder.js";
import { createRetriever, ensureIndex, fuseRrf } from "../../src/rag/index.js";
import type { RagRetriever } from "../../src/rag/retriever.js";
import type { RetrievalMode } from "../../src/rag/types.js";

const root = path.resolve(import.meta.dirname, "../..");
const fixtureData = path.join(import.meta.dirname, "fixtures", "data");
const modelDir = path.join(root, "models", "embedder");

interface Labelled { ecosystem: "pypi" | "npm"; prompt: string; answers: string[] }
const labelled: Labelled[] = readFileSync(path.join(root, "rag-index", "bench", "labelled.jsonl"), "utf8")
  .trim().split("\n").map((l) => JSON.parse(l) as Labelled);

let tmp: string;
let config: RagConfig;
let embedder: Embedder;
let retriever: RagRetriever;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "slopguard-rag-"));
  config = RagConfigSchema.parse({ indexUri: path.join(tmp, "index"), dataDir: fixtureData, embedder: { model: modelDir, batchSize: 32 } });
  embedder = await loadEmbedder(config.embedder);
  // Stop the first build after its first appended chunk, as a crash would.
  await expect(
    buildIndex({ config, embedder, onProgress: (p) => { if (p.phase === "embed" && p.done > 0) throw new Error("interrupted"); } }),
  ).rejects.toThrow("interrupted");
  // Two builders at once (side-by-side gateways): one resumes, the other waits on the lock and skips.
  const both = await Promise.all([buildIndex({ config, embedder }), buildIndex({ config, embedder })]);
  expect(both.map((b) => b.skipped).sort()).toEqual([false, true]);
  expect(both.every((b) => b.manifest.complete)).toBe(true);
  retriever = createRetriever(config, { embedder });
  await retriever.whenReady();
});

afterAll(async () => {
  await retriever?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function top(query: string, ecosystem?: "pypi" | "npm", mode?: RetrievalMode): Promise<string[]> {
  return (await retriever.retrieve({ query, ecosystem, mode })).map((h) => h.package);
}

describe("embedder", () => {
  it("loads the shipped model from its local folder with remote loading disabled", async () => {
    const e = await loadEmbedder({ model: modelDir, quantized: true, allowRemote: false, batchSize: 8 });
    expect(env.allowRemoteModels).toBe(false);
    const [a, b] = await e.embed(["parse YAML files", "read a YAML document"]);
    const norm = Math.hypot(...(a as Float32Array));
    expect(norm).toBeCloseTo(1, 4);
    expect(e.dims).toBe((a as Float32Array).length);
    expect(b).toBeDefined();
  });

  it("refuses a hub id when remote loading is off, naming the setting", async () => {
    await expect(loadEmbedder({ model: "Xenova/all-MiniLM-L6-v2", quantized: true, allowRemote: false, batchSize: 8 }))
      .rejects.toThrow(/allowRemote is false/);
  });
});

describe("index build", () => {
  it("resumed the interrupted build without duplicating rows and wrote the manifest", async () => {
    const { manifest, skipped } = await buildIndex({ config, embedder });
    expect(skipped).toBe(true); // idempotent: same inputs, nothing to do
    expect(manifest.rowsWritten).toBe(manifest.rows);
    expect(manifest.packages).toEqual({ pypi: 345, npm: 345 });
    expect(manifest.dims).toBe(embedder.dims);
    expect(manifest.snapshotDate).not.toBe("");
    const lancedb = await import("@lancedb/lancedb");
    const db = await lancedb.connect(config.indexUri);
    const table = await db.openTable(config.table);
    const rows = (await table.query().select(["statement", "ecosystem"]).toArray()) as { statement: string; ecosystem: string }[];
    expect(rows.length).toBe(manifest.rows);
    expect(new Set(rows.map((r) => `${r.ecosystem}|${r.statement}`)).size).toBe(rows.length);
    table.close();
    db.close();
  });

  it("ensureIndex leaves a complete index alone", async () => {
    const res = await ensureIndex(config);
    expect(res.built).toBe(false);
    expect(res.manifest.complete).toBe(true);
  });
});

describe("retrieval", () => {
  it.each([
    ["Generate Python code that parses and emits YAML documents", "pypi", "pyyaml"],
    ["Write a Python script that sends HTTP requests to a web API", "pypi", "requests"],
    ["Generate JavaScript code that styles terminal strings with colors", "npm", "chalk"],
    ["Create a minimalist web framework server in JavaScript", "npm", "express"],
  ] as const)("%s -> %s:%s", async (prompt, eco, expected) => {
    expect(await top(prompt, eco)).toContain(expected);
  });

  it("returns k statements with scores, canonical form, one per package", async () => {
    const hits = await retriever.retrieve({ query: "parse YAML", ecosystem: "pypi", k: 3 });
    expect(hits).toHaveLength(3);
    for (const h of hits) {
      expect(h.statement).toMatch(/^Package \S+ could answer questions about .+\.$/);
      expect(h.statement.startsWith(`Package ${h.package} `)).toBe(true);
      expect(Number.isFinite(h.score)).toBe(true);
    }
    expect(new Set(hits.map((h) => h.package)).size).toBe(3);
    expect(await retriever.retrieve({ query: "parse YAML" })).toHaveLength(5); // default k
  });

  it("filters by ecosystem in every mode", async () => {
    for (const mode of ["vector", "fulltext", "hybrid"] as const) {
      const py = await retriever.retrieve({ query: "YAML parser", ecosystem: "pypi", mode });
      const js = await retriever.retrieve({ query: "YAML parser", ecosystem: "npm", mode });
      expect(py.length).toBeGreaterThan(0);
      expect(py.every((h) => h.ecosystem === "pypi")).toBe(true);
      expect(js.every((h) => h.ecosystem === "npm")).toBe(true);
      expect(js.map((h) => h.package)).not.toContain("pyyaml");
    }
  });

  it("treats full-text query syntax as plain words", async () => {
    const hits = await retriever.retrieve({ query: 'yaml" OR (x:* AND {}) -- ; DROP TABLE', mode: "fulltext" });
    expect(Array.isArray(hits)).toBe(true);
    expect(await retriever.retrieve({ query: "?!*", mode: "fulltext" })).toEqual([]);
  });

  it("hybrid recall@5 on the labelled prompts is at least vector-only's", async () => {
    const recall = async (mode: RetrievalMode): Promise<number> => {
      let hit = 0;
      for (const r of labelled) {
        const got = (await top(r.prompt, r.ecosystem, mode)).map((p) => p.toLowerCase());
        if (r.answers.some((a) => got.includes(a.toLowerCase()))) hit += 1;
      }
      return hit / labelled.length;
    };
    const vector = await recall("vector");
    const hybrid = await recall("hybrid");
    expect(vector).toBeGreaterThan(0.3);
    expect(hybrid).toBeGreaterThanOrEqual(vector);
  });
});

describe("fuseRrf", () => {
  it("ranks what both lists agree on first", () => {
    const h = (p: string) => ({ statement: p, package: p, ecosystem: "npm" as const, score: 0 });
    const fused = fuseRrf([[h("a"), h("b"), h("c")], [h("c"), h("b")]], 60);
    expect(fused.map((x) => x.package)).toEqual(["c", "b", "a"]);
  });
});
