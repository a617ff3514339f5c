/**
 * Fetches the authors' keywords ("tags") of every npm package in the selection from an npm
 * registry and writes rag-index/data/npm-tags.tsv.gz (`name`, `tags`). Authors tag a package
 * with what it is for ("reverse", "proxy"; "gesture", "multi-touch") more often than its
 * one-line summary says it; the lexical index reads them as their own field, `tags`.
 *
 * One request per package, for its latest version's manifest (a few KB, not the whole
 * packument). The registry comes from --registry or npm's own configuration.
 *
 *   npx tsx rag-index/scripts/npm-tags.ts [--registry <url>] [--concurrency 32]
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { readSelection } from "../../src/rag/selection.js";
import { projectRoot } from "../../src/util/paths.js";
import { fetchTags, tagsTsv } from "./npm-registry-tags.js";

const { values: args } = parseArgs({
  options: {
    registry: { type: "string" },
    concurrency: { type: "string", default: "32" },
    out: { type: "string", default: "rag-index/data/npm-tags.tsv.gz" },
  },
});
const root = projectRoot();
const registry = (args.registry ?? execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim()).replace(/\/?$/, "/");

const names = readSelection(path.join(root, "rag-index/data"), "npm").map((e) => e.name);
const { tags, failed } = await fetchTags({
  registry,
  names,
  concurrency: Number(args.concurrency),
  onProgress: (done) => done % 2000 === 0 && console.error(`${done}/${names.length}`),
});
const tsv = tagsTsv(names, tags);
writeFileSync(path.resolve(root, args.out), gzipSync(tsv.text, { level: 9 }));
console.log(`${names.length} packages: ${tsv.rows} with tags, ${failed.length} failed → ${args.out}`);
