/**
 * The PyPI projects' own long descriptions (their READMEs) for the selected projects Debian
 * ships as python3-* packages: rag-index/data/pypi-readme.tsv.gz (`name`, `readme`). A built
 * Python package keeps its core metadata (`*.dist-info/METADATA` or `*.egg-info/PKG-INFO`),
 * and that file holds the description PyPI shows on the project page; PyPI's own API is out of
 * reach here, a Debian mirror is not. The lexical index reads the prose as the `readme` field.
 *
 * Source: the suite's `main/binary-amd64` package list and each matched .deb
 * (python3-X → the project X or the project installing module X, as for the descriptions).
 * Only the metadata file is read out of each .deb; nothing is kept on disk.
 *
 *   npx tsx rag-index/scripts/pypi-readmes.ts [--mirror <url>] [--suite bookworm] [--concurrency 16]
 *        [--raw <file.json>] [--from-raw <file.json>]
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { readSelection } from "../../src/rag/selection.js";
import { projectRoot } from "../../src/util/paths.js";
import { aptMirror, matchSelection } from "./debian.js";
import { parseMetadata, prose } from "./readme.js";

const { values: args } = parseArgs({
  options: {
    mirror: { type: "string" },
    suite: { type: "string", default: "bookworm" },
    concurrency: { type: "string", default: "16" },
    out: { type: "string", default: "rag-index/data/pypi-readme.tsv.gz" },
    /** Keep every project's whole description here (JSON), or re-cut the prose from such a file without downloading. */
    raw: { type: "string" },
    "from-raw": { type: "string" },
  },
});
const root = projectRoot();
const mirror = (args.mirror ?? aptMirror()).replace(/\/$/, "");

function curl(url: string): Buffer {
  return execFileSync("curl", ["-sSf", "--retry", "3", "--max-time", "600", url], { maxBuffer: 1 << 30 });
}

/** python3-* binary package → its .deb's path on the mirror. */
function debFiles(): Map<string, string> {
  const list = execFileSync("xz", ["-dc"], { input: curl(`${mirror}/dists/${args.suite}/main/binary-amd64/Packages.xz`), maxBuffer: 1 << 30 }).toString("utf8");
  const out = new Map<string, string>();
  for (const stanza of list.split(/\n\n+/)) {
    const pkg = /^Package: (python3-\S+)/m.exec(stanza)?.[1];
    const file = /^Filename: (\S+)/m.exec(stanza)?.[1];
    if (pkg && file && !pkg.endsWith("-dbg")) out.set(pkg, file);
  }
  return out;
}

// sh, not bash: a login environment may set BASH_ENV, which every bash -c would source.
const run = promisify(execFile);
const sh = async (script: string, ...argv: string[]) => (await run("sh", ["-c", script, "_", ...argv], { maxBuffer: 1 << 26 })).stdout;

const normal = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

/** The metadata file of `project` inside a .deb: several may be there (vendored packages), the project's own wins. */
async function descriptionOf(deb: string, project: string): Promise<string | undefined> {
  const listing = (await sh('dpkg-deb --fsys-tarfile "$1" | tar -t', deb)).split("\n");
  const candidates = listing.filter((f) => /\.dist-info\/METADATA$|\.egg-info\/PKG-INFO$|\.egg-info$/.test(f));
  for (const member of candidates) {
    const text = await sh('dpkg-deb --fsys-tarfile "$1" | tar -xO "$2"', deb, member);
    const meta = parseMetadata(text);
    if (meta.name && normal(meta.name) === normal(project)) return meta.description || undefined;
  }
  return undefined;
}

/** Selected project → its whole long description, from each matched .deb. */
async function download(): Promise<Map<string, string>> {
  const matched = matchSelection(debFiles(), "pypi", readSelection(path.join(root, "rag-index/data"), "pypi"));
  console.error(`${matched.size} selected projects have a python3-* package`);
  const dir = mkdtempSync(path.join(tmpdir(), "pypi-readmes-"));
  const out = new Map<string, string>();
  const queue = [...matched];
  let done = 0;
  await Promise.all(Array.from({ length: Number(args.concurrency) }, async (_, worker) => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [project, file] = item;
      const deb = path.join(dir, `${worker}.deb`);
      try {
        const res = await fetch(`${mirror}/${file}`);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        writeFileSync(deb, Buffer.from(await res.arrayBuffer()));
        const text = await descriptionOf(deb, project);
        if (text) out.set(project, text);
      } catch (err) {
        console.error(`${project}: ${(err as Error).message}`);
      }
      if (++done % 250 === 0) console.error(`${done}/${matched.size}`);
    }
  }));
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const descriptions = args["from-raw"]
  ? new Map(Object.entries(JSON.parse(readFileSync(args["from-raw"], "utf8")) as Record<string, string>))
  : await download();
if (args.raw) writeFileSync(args.raw, JSON.stringify(Object.fromEntries(descriptions)));
const readmes = new Map([...descriptions].flatMap(([name, d]) => {
  const text = prose(d).replace(/\t/g, " ");
  return text ? [[name, text] as const] : [];
}));
const lines = [...readmes].sort(([a], [b]) => a.localeCompare(b)).map(([n, t]) => `${n}\t${t}`);
writeFileSync(path.resolve(root, args.out), gzipSync(`name\treadme\n${lines.join("\n")}\n`, { level: 9 }));
console.log(`${descriptions.size} projects with a long description in their metadata: ${readmes.size} with prose → ${args.out}`);
