/**
 * The LanceDB side: connecting (local folder or object store), the statement
 * table's schema, and the two primitive searches the retriever fuses.
 */
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Schema, Utf8 } from "apache-arrow";
import type { Ecosystem } from "../packages/types.js";
import type { RagConfig } from "./config.js";

export interface StatementRow {
  /** The variant that is embedded and full-text indexed. */
  statement: string;
  /** The package's main statement, returned whichever variant matched. */
  canonical: string;
  package: string;
  ecosystem: Ecosystem;
  /** Percentile within its ecosystem, 1 = most popular. */
  popularity: number;
  vector: Float32Array | number[];
}

export interface Hit {
  statement: string;
  package: string;
  ecosystem: Ecosystem;
  score: number;
}

export const MANIFEST_TABLE = "manifest";

export function statementSchema(dims: number): Schema {
  return new Schema([
    new Field("statement", new Utf8(), false),
    new Field("canonical", new Utf8(), false),
    new Field("package", new Utf8(), false),
    new Field("ecosystem", new Utf8(), false),
    new Field("popularity", new Float32(), false),
    new Field("vector", new FixedSizeList(dims, new Field("item", new Float32(), true)), false),
  ]);
}

/** Relative local paths are kept as given; LanceDB resolves them against the working directory. */
export async function connectIndex(cfg: Pick<RagConfig, "indexUri" | "storageOptions">): Promise<lancedb.Connection> {
  return lancedb.connect(cfg.indexUri, { storageOptions: cfg.storageOptions });
}

export async function openTableIfExists(db: lancedb.Connection, name: string): Promise<lancedb.Table | undefined> {
  const names = await db.tableNames();
  return names.includes(name) ? db.openTable(name) : undefined;
}

function ecosystemFilter(ecosystem?: Ecosystem): string | undefined {
  // The value comes from a closed enum, so interpolation cannot inject SQL.
  return ecosystem ? `ecosystem = '${ecosystem}'` : undefined;
}

function toHit(row: Record<string, unknown>, score: number): Hit {
  return {
    statement: String(row.canonical),
    package: String(row.package),
    ecosystem: row.ecosystem as Ecosystem,
    score,
  };
}

const COLUMNS = ["canonical", "package", "ecosystem"];

export async function vectorHits(
  table: lancedb.Table,
  input: {
    vector: Float32Array;
    ecosystem?: Ecosystem;
    limit: number;
    search: { nprobes: number; refineFactor: number; exact: boolean };
  },
): Promise<Hit[]> {
  let q = table.vectorSearch(input.vector).distanceType("cosine").select([...COLUMNS, "_distance"]).limit(input.limit);
  const where = ecosystemFilter(input.ecosystem);
  if (where) q = q.where(where);
  if (input.search.exact) q = q.bypassVectorIndex();
  else {
    q = q.nprobes(input.search.nprobes);
    if (input.search.refineFactor > 0) q = q.refineFactor(input.search.refineFactor);
  }
  const rows = (await q.toArray()) as Record<string, unknown>[];
  return rows.map((r) => toHit(r, 1 - Number(r._distance)));
}

/** Full-text queries are words, not syntax: strip everything but letters, digits and spaces. */
export function ftsText(query: string): string {
  return query
    .normalize("NFKC")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .slice(0, 1000);
}

export async function fulltextHits(
  table: lancedb.Table,
  input: { query: string; ecosystem?: Ecosystem; limit: number },
): Promise<Hit[]> {
  const text = ftsText(input.query);
  if (!text) return [];
  let q = table.query().fullTextSearch(text, { columns: ["statement"] }).select([...COLUMNS, "_score"]).limit(input.limit);
  const where = ecosystemFilter(input.ecosystem);
  if (where) q = q.where(where);
  const rows = (await q.toArray()) as Record<string, unknown>[];
  return rows.map((r) => toHit(r, Number(r._score)));
}
