/**
 * The learned second stage of full-text retrieval: the BM25F index's per-field scores it reads,
 * the first stage (with and without the popularity prior), its features, the model file's
 * schema, the shipped model, and the listwise fit that trains it (rag-index/ranker/fit.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fitLinear } from "../../rag-index/ranker/fit.js";
import { RagConfigSchema } from "../../src/rag/config.js";
import { FIELDS, LexicalIndex, type LexicalDoc } from "../../src/rag/lexical.js";
import { FEATURES, featureRows, firstStage, linearScore, loadRanker, rerank, RankerModelSchema, type RankerModel } from "../../src/rag/ranker.js";
import { terms } from "../../src/rag/text.js";

const root = path.resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "slopguard-ranker-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function doc(name: string, summary: string, popularity: number, extra: Partial<LexicalDoc["fields"]> = {}): LexicalDoc {
  return {
    package: name, ecosystem: "pypi", statement: `Package ${name} could answer questions about ${summary}.`, popularity,
    fields: { name, summary, imports: "", keywords: "", tags: "", about: "", questions: "", ...extra },
  };
}

// A popular package that shares one word with the tasks below, and less popular ones that match them.
const docs = [
  doc("boto3", "The AWS SDK for Python: files, buckets and queues", 1),
  doc("pyyaml", "YAML parser and emitter for Python", 0.6, { imports: "yaml" }),
  doc("yaml-config", "Read configuration files written in YAML", 0.1),
  doc("xmltodict", "Makes working with XML feel like you are working with JSON", 0.5),
  doc("dicttoxml", "Converts a Python dictionary into XML", 0.05),
  // Enough summaries with "xml" and "dict" for the name splitter to cut "xmltodict" with them.
  ...Array.from({ length: 20 }, (_, i) => doc(`filler-${i}`, `helper number ${i} for ${i % 2 ? "xml" : "dict"} files and parsers`, 0.2)),
];
// A strong prior, so that the popular package leads the first stage on one shared word.
const params = { ...RagConfigSchema.parse({}).lexical, prior: 1 };
const index = new LexicalIndex(docs, params);
const names = (hits: { doc: LexicalDoc }[]): string[] => hits.map((h) => h.doc.package);

describe("BM25F hits carry what the reranker reads", () => {
  it("per-field scores only in the fields that hold the words, coverage and the matched-term bits", () => {
    const [hit] = index.search("yaml emitter", { ecosystem: "pypi", limit: 1, prior: 0 });
    expect(hit!.doc.package).toBe("pyyaml");
    const by = Object.fromEntries(FIELDS.map((f, i) => [f, hit!.fieldScores[i]!]));
    expect(by.summary).toBeGreaterThan(0);
    expect(by.name).toBeGreaterThan(0); // "pyyaml" → yaml
    expect(by.imports).toBeGreaterThan(0);
    expect(by.keywords).toBe(0);
    expect(by.questions).toBe(0);
    expect(hit!.coverage).toBeCloseTo(1, 6);
    expect(hit!.matched).toBe(0b11);
    expect(hit!.nameWords).toEqual(["yaml"]);
    const [partial] = index.search("yaml emitter", { limit: 5, prior: 0 }).filter((h) => h.doc.package === "yaml-config");
    expect(partial!.matched).toBe(0b01);
    expect(partial!.coverage).toBeGreaterThan(0);
    expect(partial!.coverage).toBeLessThan(1);
  });
});

describe("firstStage", () => {
  it("adds the best matches by BM25F alone that the prior pushed out, without repeats", () => {
    const query = "configuration files YAML";
    const withPrior = names(index.search(query, { limit: 1 }));
    const withoutPrior = names(index.search(query, { limit: 1, prior: 0 }));
    expect(withPrior).not.toEqual(withoutPrior);
    const both = names(firstStage(index, query, { limit: 1, withoutPrior: 1 }));
    expect(both).toEqual([...withPrior, ...withoutPrior]);
    const many = names(firstStage(index, query, { limit: 5, withoutPrior: 5 }));
    expect(new Set(many).size).toBe(many.length);
    expect(names(firstStage(index, query, { limit: 3, withoutPrior: 0 }))).toEqual(names(index.search(query, { limit: 3 })));
  });
});

/** A model with the identity standardisation and one weight per named feature. */
function model(weights: Record<string, number>): RankerModel {
  const features = Object.keys(weights);
  return RankerModelSchema.parse({ version: 1, features, mean: features.map(() => 0), scale: features.map(() => 1), weights: Object.values(weights) });
}

describe("features and rerank", () => {
  it("list-relative features: the list's best candidate gets 1", () => {
    const hits = firstStage(index, "dictionary XML", { limit: 10, withoutPrior: 0 });
    const rows = featureRows(hits, new Set(terms("dictionary XML")), ["bm25f", "bm25fOfBest", "coverageOfBest", "popularityOfBest"]);
    const best = Math.max(...rows.map((r) => r[0]!));
    for (const r of rows) {
      expect(r[1]).toBeCloseTo(r[0]! / best, 9);
      expect(r[2]).toBeGreaterThan(0);
      expect(r[2]).toBeLessThanOrEqual(1);
      expect(r[3]).toBeLessThanOrEqual(1);
    }
    expect(Math.max(...rows.map((r) => r[2]!))).toBe(1);
  });

  it("name features compare the name's words with the task's", () => {
    const hits = firstStage(index, "xml dict", { limit: 10, withoutPrior: 0 });
    const rows = featureRows(hits, new Set(terms("xml dict")), ["nameAll", "nameAny", "nameShare"]);
    const at = (pkg: string): number[] => rows[hits.findIndex((h) => h.doc.package === pkg)]!;
    expect(at("xmltodict")).toEqual([1, 1, 1]); // split with the summaries' words: xml, (to), dict
    expect(at("filler-1")).toEqual([0, 0, 0]); // in the list by its summary, not its name
  });

  it("re-orders by the model, whatever the first-stage order", () => {
    const query = "configuration files YAML";
    const hits = firstStage(index, query, { limit: 10, withoutPrior: 5 });
    expect(hits[0]!.doc.package).toBe("boto3");
    const byCoverage = rerank(model({ coverage: 1 }), hits, new Set(terms(query)));
    expect(byCoverage[0]!.hit.doc.package).toBe("yaml-config");
    const byPopularity = rerank(model({ popularity: 1 }), hits, new Set(terms(query)));
    expect(byPopularity[0]!.hit.doc.package).toBe("boto3");
    for (let i = 1; i < byCoverage.length; i++) expect(byCoverage[i - 1]!.score).toBeGreaterThanOrEqual(byCoverage[i]!.score);
  });

  it("linearScore standardises each value before its weight", () => {
    expect(linearScore({ mean: [1, 10], scale: [2, 5], weights: [3, -1] }, [5, 20])).toBeCloseTo(((5 - 1) / 2) * 3 - (20 - 10) / 5, 12);
  });
});

describe("the model file", () => {
  it("the shipped model loads, names known features and was trained on the dev split", () => {
    const shipped = loadRanker(path.join(root, RagConfigSchema.parse({}).ranker!));
    expect(shipped.features.length).toBeGreaterThan(5);
    for (const f of shipped.features) expect(FEATURES).toHaveProperty(f);
    expect(String(shipped.trained.on)).toMatch(/dev split/);
  });

  it("rejects unknown features, mismatched lengths, a zero scale, and says which file", () => {
    const bad = (m: unknown): string => {
      const file = path.join(tmp, `m${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, typeof m === "string" ? m : JSON.stringify(m));
      try {
        loadRanker(file);
        return "loaded";
      } catch (err) {
        expect((err as Error).message).toContain(file);
        return (err as Error).message;
      }
    };
    const ok = { version: 1, features: ["bm25f"], mean: [0], scale: [1], weights: [1] };
    expect(bad(ok)).toBe("loaded");
    expect(bad({ ...ok, features: ["telepathy"] })).toMatch(/unknown feature/);
    expect(bad({ ...ok, weights: [1, 2] })).toMatch(/one value per feature/);
    expect(bad({ ...ok, scale: [0] })).toMatch(/invalid RAG ranker model/);
    expect(bad("{not json")).toMatch(/cannot read the RAG ranker model/);
    expect(() => loadRanker(path.join(tmp, "missing.json"))).toThrow(/cannot read the RAG ranker model/);
  });
});

describe("fitLinear (listwise, rag-index/ranker/fit.ts)", () => {
  // Lists of 6 candidates: feature 0 marks the good one (noisily), feature 1 is noise that,
  // in the raw order, puts a bad candidate first.
  const rand = ((seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31))(7);
  const lists = Array.from({ length: 60 }, () => {
    const good = Math.floor(rand() * 6);
    const rows = Array.from({ length: 6 }, (_, i) => [(i === good ? 1 : 0) + rand() * 0.8, rand() * 5 + (i === 0 ? 5 : 0)]);
    return { rows, good: rows.map((_, i) => i === good) };
  });
  const opts = { l2: 0.01, epochs: 200, learningRate: 0.05 };

  it("learns to put the good candidate first, deterministically", () => {
    const m = fitLinear(lists, opts);
    expect(m.weights[0]).toBeGreaterThan(0);
    expect(Math.abs(m.weights[1]!)).toBeLessThan(m.weights[0]!);
    const firstIsGood = lists.filter((l) => {
      const scores = l.rows.map((r) => linearScore(m, r));
      return l.good[scores.indexOf(Math.max(...scores))];
    }).length;
    expect(firstIsGood / lists.length).toBeGreaterThan(0.8);
    expect(fitLinear(lists, opts)).toEqual(m);
  });

  it("refuses lists with no good answer to learn from", () => {
    expect(() => fitLinear([{ rows: [[1, 2]], good: [false] }], opts)).toThrow(/no training list has a good answer/);
  });
});
