/**
 * Fetches the authors' keywords ("tags") of every npm package in the selection from an npm
 * registry and writes rag-index/data/npm-tags.tsv.gz (`name`, `tags`). Authors tag a package
 * with what it is for ("reverse", "proxy"; "gesture", "multi-touch") more often than its
 * one-line summary says it, and the lexical index reads the tags with the anchor keywords.
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
import { z } from "zod";
import { readSelection } from "../../src/rag/selection.js";
import { projectRoot } from "../../src/util/paths.js";

const { values: args } = parseArgs({
  options: {
    registry: { type: "string" },
    concurrency: { type: "string", default: "32" },
    out: { type: "string", default: "rag-index/data/npm-tags.tsv.gz" },
  },
});
const root = projectRoot();
const registry = (args.registry ?? execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim()).replace(/\/?$/, "/");

const ManifestSchema = z.object({
  // Some manifests give a comma-separated string instead of an array.
  keywords: z.union([z.array(z.unknown()), z.string()]).optional(),
});

async function tagsOf(name: string): Promise<string[] | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(`${registry}${name.replace("/", "%2F")}/latest`, { signal: AbortSignal.timeout(20_000) });
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const parsed = ManifestSchema.safeParse(await res.json());
      if (!parsed.success) return [];
      const raw = parsed.data.keywords ?? [];
      return (typeof raw === "string" ? raw.split(",") : raw).filter((k): k is string => typeof k === "string");
    } catch {
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  return undefined;
}

const names = readSelection(path.join(root, "rag-index/data"), "npm").map((e) => e.name);
const out = new Map<string, string[]>();
let failed = 0;
let next = 0;
async function worker(): Promise<void> {
  while (next < names.length) {
    const name = names[next++]!;
    const tags = await tagsOf(name);
    if (tags === undefined) failed += 1;
    else out.set(name, tags);
    if ((out.size + failed) % 2000 === 0) console.error(`${out.size + failed}/${names.length}`);
  }
}
await Promise.all(Array.from({ length: Number(args.concurrency) }, worker));
// Tags are the authors' words: one line of text, tabs and newlines out (the index sanitises them again).
const clean = (t: string): string => t.replace(/[\t\r\n]+/g, " ").trim();
const lines = names.filter((n) => out.get(n)?.length).map((n) => `${n}\t${out.get(n)!.map(clean).filter(Boolean).join(", ")}`);
writeFileSync(path.resolve(root, args.out), gzipSync(`name\ttags\n${lines.join("\n")}\n`, { level: 9 }));
console.log(`${names.length} packages: ${lines.length} with tags, ${failed} failed → ${args.out}`);
