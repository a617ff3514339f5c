/**
 * The RAG index on an object store, as replicas share it: built once to an
 * s3:// URI on a local S3-compatible server (s3rver), then opened and queried by
 * two independent retrievers, with nothing on local disk but the server's files.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../src/rag/build.js";
import { RagConfigSchema, type RagConfig } from "../../src/rag/config.js";
import { createRetriever } from "../../src/rag/index.js";
import { repoRoot } from "../helpers/gateway.js";

/**
 * s3rver's filesystem store drops common prefixes whose objects all sit two or more
 * levels down (a Lance dataset folder holds only sub-folders), so a delimited
 * listing, which LanceDB uses to find tables, comes back empty. Real S3 returns
 * them; this gives s3rver S3's semantics: list everything, then fold by delimiter.
 */
function fixS3rverDelimiterListing(): void {
  type Listed = { objects: Array<{ key: string }>; commonPrefixes: string[]; isTruncated: boolean };
  type Options = { delimiter?: string; prefix?: string; maxKeys?: number };
  const store = createRequire(import.meta.url)("s3rver/lib/stores/filesystem.js") as {
    prototype: { listObjects(bucket: string, options: Options): Promise<Listed> };
  };
  const original = store.prototype.listObjects;
  store.prototype.listObjects = async function (bucket, options) {
    if (!options.delimiter) return original.call(this, bucket, options);
    const all = await original.call(this, bucket, { ...options, delimiter: "", maxKeys: Infinity });
    const prefix = options.prefix ?? "";
    const prefixes = new Set<string>();
    const objects = all.objects.filter((o) => {
      const at = o.key.slice(prefix.length).indexOf(options.delimiter!);
      if (at >= 0) prefixes.add(o.key.slice(0, prefix.length + at + 1));
      return at < 0;
    });
    return { objects, commonPrefixes: [...prefixes].sort(), isTruncated: false };
  };
}

/** 60 packages per ecosystem of R's fixture (plus the YAML ones the query needs): the store, not the embedder, is under test. */
async function sliceOfFixture(target: string): Promise<string> {
  await mkdir(target, { recursive: true });
  for (const ecosystem of ["pypi", "npm"]) {
    const lines = gunzipSync(await readFile(path.join(repoRoot, "test/rag/fixtures/data", `${ecosystem}.tsv.gz`))).toString("utf8").split("\n");
    const kept = [lines[0], ...lines.slice(1).filter((l, i) => l && (i < 60 || /yaml/i.test(l)))];
    await writeFile(path.join(target, `${ecosystem}.tsv.gz`), gzipSync(`${kept.join("\n")}\n`));
  }
  return target;
}

describe("RAG index at an s3:// URI", () => {
  let server: S3rver;
  let dir: string;
  let config: RagConfig;

  beforeAll(async () => {
    fixS3rverDelimiterListing();
    dir = await mkdtemp(path.join(tmpdir(), "slopguard-s3-"));
    server = new S3rver({ port: 0, address: "127.0.0.1", directory: dir, silent: true, configureBuckets: [{ name: "slopguard" }] });
    const { port } = await server.run();
    config = RagConfigSchema.parse({
      indexUri: "s3://slopguard/rag-index",
      // What a deployment puts in rag.storageOptions for an S3-compatible store (keys from a Secret).
      storageOptions: {
        aws_endpoint: `http://127.0.0.1:${port}`,
        aws_region: "us-east-1",
        allow_http: "true",
        aws_access_key_id: "S3RVER",
        aws_secret_access_key: "S3RVER",
      },
      dataDir: await sliceOfFixture(path.join(dir, "data")),
      embedder: { model: path.join(repoRoot, "models/embedder"), batchSize: 64 },
    });
  });

  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is built once and then served to two replicas from the object store", async () => {
    const { manifest } = await buildIndex({ config });
    expect(manifest.complete).toBe(true);
    const stored = await readdir(path.join(dir, "slopguard"), { recursive: true });
    expect(stored.some((f) => f.includes("rag-index") && f.includes(".lance"))).toBe(true);

    const replicas = [createRetriever(config), createRetriever(config)];
    try {
      await Promise.all(replicas.map((r) => r.whenReady()));
      const answers = await Promise.all(replicas.map((r) => r.retrieve({ query: "parse a YAML configuration file", ecosystem: "pypi" })));
      // Retrieval quality is R's to test; here: the stored index answers, with YAML packages.
      for (const hits of answers) expect(hits.some((h) => /yaml/i.test(h.package))).toBe(true);
      expect(answers[0]!.map((h) => h.package)).toEqual(answers[1]!.map((h) => h.package));
      // A second build finds the complete index on the store and leaves it alone.
      expect((await buildIndex({ config })).skipped).toBe(true);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  }, 120_000);
});
