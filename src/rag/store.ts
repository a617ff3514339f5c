/**
 * The LanceDB side: connecting (local folder or object store), the package table's
 * schema, reading it whole for the lexical index, and the vector search of the
 * optional vector/hybrid modes.
 */
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Schema, Utf8 } from "apache-arrow";
import { z } from "zod";
import type { Ecosystem } from "../packages/types.js";
import type { RagConfig } from "./config.js";

export const MANIFEST_TABLE = "manifest";

/** Text columns the lexical index reads (the vector column stays on disk). */
export const TEXT_COLUMNS = ["package", "ecosystem", "statement", "summary", "imports", "keywords", "tags", "about", "questions", "popularity"];

export const StoredRowSchema = z.object({
  package: z.string().min(1).max(214),
  ecosystem: z.enum(["pypi", "npm"]),
  statement: z.string(),
  summary: z.string(),
  imports: z.string(),
  keywords: z.string(),
  tags: z.string(),
  about: z.string(),
  questions: z.string(),
  popularity: z.number().min(0).max(1),
});
export type StoredRow = z.infer<typeof StoredRowSchema>;

export function packageSchema(dims: number): Schema {
  const text = (name: string) => new Field(name, new Utf8(), false);
  const fields: Field[] = [
    text("package"),
    text("ecosystem"),
    text("statement"),
    text("summary"),
    text("imports"),
    text("keywords"),
    text("tags"),
    text("about"),
    text("questions"),
    new Field("popularity", new Float32(), false),
  ];
  if (dims > 0) fields.push(new Field("vector", new FixedSizeList(dims, new Field("item", new Float32(), true)), false));
  return new Schema(fields);
}

/** Relative local paths are kept as given; LanceDB resolves them against the working directory. */
export async function connectIndex(cfg: Pick<RagConfig, "indexUri" | "storageOptions">): Promise<lancedb.Connection> {
  return lancedb.connect(cfg.indexUri, { storageOptions: cfg.storageOptions });
}

export async function openTableIfExists(db: lancedb.Connection, name: string): Promise<lancedb.Table | undefined> {
  const names = await db.tableNames();
  return names.includes(name) ? db.openTable(name) : undefined;
}

/** Every row's text columns, validated (an index is someone else's file too). */
export async function readRows(table: lancedb.Table): Promise<StoredRow[]> {
  const raw = (await table.query().select(TEXT_COLUMNS).toArray()) as Record<string, unknown>[];
  return raw.flatMap((r) => {
    const parsed = StoredRowSchema.safeParse({ ...r, popularity: Number(r.popularity) });
    return parsed.success ? [parsed.data] : [];
  });
}

export interface VectorHit {
  package: string;
  ecosystem: Ecosystem;
  similarity: number;
}

export async function vectorHits(
  table: lancedb.Table,
  input: {
    vector: Float32Array;
    ecosystem?: Ecosystem;
    limit: number;
    search: { nprobes: number; refineFactor: number; exact: boolean };
  },
): Promise<VectorHit[]> {
  let q = table.vectorSearch(input.vector).distanceType("cosine").select(["package", "ecosystem", "_distance"]).limit(input.limit);
  // The value comes from a closed enum, so interpolation cannot inject SQL.
  if (input.ecosystem) q = q.where(`ecosystem = '${input.ecosystem}'`);
  if (input.search.exact) q = q.bypassVectorIndex();
  else {
    q = q.nprobes(input.search.nprobes);
    if (input.search.refineFactor > 0) q = q.refineFactor(input.search.refineFactor);
  }
  const rows = (await q.toArray()) as Record<string, unknown>[];
  return rows.map((r) => ({ package: String(r.package), ecosystem: r.ecosystem as Ecosystem, similarity: 1 - Number(r._distance) }));
}
