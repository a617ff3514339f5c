/**
 * The build manifest lives in a one-row LanceDB table beside the statements, so it
 * travels with the index to any URI LanceDB can write (local folder or object store).
 */
import type * as lancedb from "@lancedb/lancedb";
import { z } from "zod";
import { MANIFEST_TABLE, openTableIfExists } from "./store.js";

export const ManifestSchema = z.object({
  /** 3: one row per package, lexical fields (`tags` and `about` since 3), vectors only when a vector mode is configured. */
  version: z.literal(3),
  complete: z.boolean(),
  fingerprint: z.string(),
  table: z.string(),
  rows: z.number().int().nonnegative(),
  rowsWritten: z.number().int().nonnegative(),
  packages: z.object({ pypi: z.number().int(), npm: z.number().int() }),
  statementsByEcosystem: z.object({ pypi: z.number().int(), npm: z.number().int() }),
  /** The embedder, or null for an index without vectors (the default full-text mode). */
  modelId: z.string().nullable(),
  dims: z.number().int().nonnegative(),
  quantized: z.boolean(),
  annIndex: z.string().nullable(),
  snapshotDate: z.string(),
  /** `dataDigest` of the data folder it was built from (absent in indexes built before it was kept). */
  dataDigest: z.string().optional(),
  generator: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  buildSeconds: z.number().nullable(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export async function readManifest(db: lancedb.Connection): Promise<Manifest | undefined> {
  const table = await openTableIfExists(db, MANIFEST_TABLE);
  if (!table) return undefined;
  try {
    const rows = (await table.query().limit(1).toArray()) as { json: string }[];
    const parsed = ManifestSchema.safeParse(JSON.parse(rows[0]?.json ?? "null"));
    return parsed.success ? parsed.data : undefined;
  } finally {
    table.close();
  }
}

export async function writeManifest(db: lancedb.Connection, manifest: Manifest): Promise<void> {
  const table = await db.createTable(MANIFEST_TABLE, [{ json: JSON.stringify(manifest) }], { mode: "overwrite" });
  table.close();
}
