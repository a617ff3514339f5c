/**
 * Builds the compact package master lists and import mappings under data/ from the
 * shared data folder (see data/registry/PROVENANCE.md). Run:
 *   npx tsx scripts/build-snapshot.ts [sharedDataDir]
 * Output is deterministic (byte-order sorted), so re-running on the same input
 * gives identical files.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { gunzipSync, gzipSync } from "node:zlib";
import { join } from "node:path";
import { normalizePypi } from "../src/packages/names.js";

const src = process.argv[2] ?? process.env.SLOPGUARD_SHARED_DATA ?? "/work/shared/data";
const out = join(import.meta.dirname, "..", "data");

function readTsv(file: string): string[][] {
  const text = gunzipSync(readFileSync(file)).toString("utf8");
  return text.split("\n").slice(1).filter(Boolean).map((l) => l.split("\t"));
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const gz = (s: string): Buffer => gzipSync(Buffer.from(s), { level: 9 });

function buildPypi(): Map<string, number> {
  const rows = readTsv(join(src, "registry", "pypi.tsv.gz"));
  const names = new Set<string>();
  const ranks = new Map<string, number>();
  for (const [name, , , rank] of rows) {
    if (!name) continue;
    const n = normalizePypi(name);
    names.add(n);
    if (rank) ranks.set(n, Math.min(Number(rank), ranks.get(n) ?? Infinity));
  }
  writeFileSync(join(out, "registry", "pypi-names.txt.gz"), gz([...names].sort(byteOrder).join("\n") + "\n"));
  const popular = [...ranks].sort((a, b) => a[1] - b[1]).map(([n, r]) => `${n}\t${r}`);
  writeFileSync(join(out, "registry", "pypi-popular.tsv"), popular.join("\n") + "\n");
  console.log(`pypi: ${rows.length} rows → ${names.size} normalised names, ${ranks.size} ranked`);
  return ranks;
}

function buildNpm(): void {
  const rows = readTsv(join(src, "registry", "npm.tsv.gz"));
  const seen = new Map<string, number>();
  for (const [name, , downloads] of rows) if (name) seen.set(name, Number(downloads) || 0);
  const lines = [...seen.keys()].sort(byteOrder).map((n) => `${n}\t${seen.get(n)}`);
  writeFileSync(join(out, "registry", "npm.tsv.gz"), gz(lines.join("\n") + "\n"));
  console.log(`npm: ${rows.length} rows → ${seen.size} names`);
}

interface UpmRow { name: string; modules?: string[] }

/** Module → distribution from upm's lists, keeping only unambiguous or clearly most-popular providers. */
function buildUpm(ranks: Map<string, number>): void {
  const text = gunzipSync(readFileSync(join(src, "mappings", "upm_pypi_pkgs.jsonl.gz"))).toString("utf8");
  const providers = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as UpmRow;
    for (const m of row.modules ?? []) {
      const list = providers.get(m) ?? [];
      list.push(row.name);
      providers.set(m, list);
    }
  }
  const out_: string[] = [];
  for (const [mod, dists] of [...providers].sort((a, b) => byteOrder(a[0], b[0]))) {
    // Identity covers a module that is itself a provider's name or a popular PyPI project (psycopg2).
    if (mod.startsWith("_") || ranks.has(normalizePypi(mod)) || dists.some((d) => normalizePypi(d) === normalizePypi(mod))) continue;
    const ranked = dists.filter((d) => ranks.has(normalizePypi(d)));
    ranked.sort((a, b) => ranks.get(normalizePypi(a))! - ranks.get(normalizePypi(b))!);
    const pick = ranked[0] ?? (dists.length === 1 ? dists[0] : undefined);
    if (pick) out_.push(`${mod}\t${pick}`);
  }
  writeFileSync(join(out, "mappings", "upm-modules.tsv.gz"), gz(out_.join("\n") + "\n"));
  console.log(`upm: ${providers.size} modules → ${out_.length} kept`);
}

function buildStdlib(): void {
  const py = "import sys; print(sys.version.split()[0]); print('\\n'.join(sorted(sys.stdlib_module_names)))";
  const [version, ...mods] = execFileSync("python3", ["-c", py], { encoding: "utf8" }).trim().split("\n");
  writeFileSync(join(out, "mappings", "python-stdlib.txt"), `# sys.stdlib_module_names of Python ${version}\n${mods.join("\n")}\n`);
  const node = [...new Set([...builtinModules, "node:sea", "node:sqlite", "node:test", "node:test/reporters"])].sort();
  writeFileSync(join(out, "mappings", "node-builtins.txt"), `# module.builtinModules of Node ${process.version} + prefix-only node: modules\n${node.join("\n")}\n`);
  writeFileSync(join(out, "mappings", "pipreqs-mapping.txt"), readFileSync(join(src, "mappings", "pipreqs_mapping.txt")));
  console.log(`stdlib: python ${mods.length}, node ${node.length}`);
}

const ranks = buildPypi();
buildNpm();
buildUpm(ranks);
buildStdlib();
