/**
 * Debian's long descriptions of the Python and Node libraries it packages, for the packages in
 * the selection: rag-index/data/pypi-debian.tsv.gz and npm-debian.tsv.gz (`name`, `description`).
 * Debian maintainers describe what a library is for in a paragraph or two ("a library to
 * manipulate audio data … can use ffmpeg to support other formats than .wav"), where the
 * package's own summary is one line; the lexical index reads them as the `about` field.
 *
 * Source: the suite's `main/i18n/Translation-en.xz` from a Debian mirror (the one apt uses
 * here unless --mirror). Binary packages map by name: python3-X → the PyPI project X, or the
 * project that installs the module X (python3-yaml → pyyaml); node-X → the npm package X.
 *
 *   npx tsx rag-index/scripts/debian-descriptions.ts [--mirror <url>] [--suite bookworm] [--from <Translation-en file>]
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import type { Ecosystem } from "../../src/packages/types.js";
import { readSelection } from "../../src/rag/selection.js";
import { projectRoot } from "../../src/util/paths.js";
import { debianDescriptions, matchSelection } from "./debian.js";

const { values: args } = parseArgs({
  options: {
    mirror: { type: "string" },
    suite: { type: "string", default: "bookworm" },
    from: { type: "string" },
  },
});
const root = projectRoot();

/** The first `URIs:` of apt's deb822 sources: the mirror this machine installs from. */
function aptMirror(): string {
  const dir = "/etc/apt/sources.list.d";
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".sources"))) {
    const m = /^URIs:\s*(\S+)/m.exec(readFileSync(path.join(dir, f), "utf8"));
    if (m && !/security/.test(m[1]!)) return m[1]!;
  }
  throw new Error("no Debian mirror found in apt's sources; pass --mirror");
}

function translation(): string {
  if (args.from) return readFileSync(args.from, "utf8");
  const url = `${(args.mirror ?? aptMirror()).replace(/\/$/, "")}/dists/${args.suite}/main/i18n/Translation-en.xz`;
  const xz = execFileSync("curl", ["-sSf", "--max-time", "300", url], { maxBuffer: 1 << 30 });
  return execFileSync("xz", ["-dc"], { input: xz, maxBuffer: 1 << 30 }).toString("utf8");
}

const descriptions = debianDescriptions(translation());
for (const ecosystem of ["pypi", "npm"] as Ecosystem[]) {
  const out = matchSelection(descriptions, ecosystem, readSelection(path.join(root, "rag-index/data"), ecosystem));
  const file = `rag-index/data/${ecosystem}-debian.tsv.gz`;
  const lines = [...out].sort(([a], [b]) => a.localeCompare(b)).map(([n, t]) => `${n}\t${t}`);
  writeFileSync(path.join(root, file), gzipSync(`name\tdescription\n${lines.join("\n")}\n`, { level: 9 }));
  console.log(`${ecosystem}: ${out.size} packages with a Debian description → ${file}`);
}
