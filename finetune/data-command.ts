/** `slopguard finetune data`: reads the sources, runs the builder with the package checker, writes the split. */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { createPackageChecker } from "../src/packages/index.js";
import { buildDataset, type Manifest } from "./dataset.js";
import { defaultHeldoutFiles, loadHeldout } from "./heldout.js";
import { readJsonl } from "./jsonl.js";

export interface DataCommandOptions {
  source: string[];
  out: string;
  repair: boolean;
  general: string | false;
  generalShare: string;
  heldout?: string[];
  config?: string;
  live?: boolean;
}


/** The packages section of a gateway config, forced offline unless --live: a dataset build should be reproducible. */
function packagesConfig(o: DataCommandOptions): Record<string, unknown> {
  const file = o.config ? (parseYaml(readFileSync(o.config, "utf8")) as { packages?: Record<string, unknown> }) : {};
  return { ...(file.packages ?? {}), ...(o.live ? {} : { mode: "offline" }) };
}

export async function runDataCommand(o: DataCommandOptions): Promise<Manifest & { sources: string[] }> {
  const guard = loadHeldout(o.heldout ?? defaultHeldoutFiles(process.cwd()));
  if (guard.size === 0) throw new Error("no held-out prompts loaded: pass --heldout or run from the repository root (data/eval/)");
  const checker = createPackageChecker({ config: packagesConfig(o), watchlist: "memory" });
  try {
    const sources = o.source.map((f) => ({ name: basename(f).replace(/\.jsonl$/, ""), rows: readJsonl(f) }));
    const general = o.general && existsSync(o.general) ? { rows: readJsonl(o.general), maxShare: Number(o.generalShare) } : undefined;
    const { rows, manifest } = await buildDataset({ sources, checker, guard, repair: o.repair, ...(general ? { general } : {}) });
    mkdirSync(o.out, { recursive: true });
    const lines = (split: string) => rows.filter((r) => r.split === split).map((r) => JSON.stringify(r)).join("\n") + "\n";
    writeFileSync(join(o.out, "train.jsonl"), lines("train"));
    writeFileSync(join(o.out, "heldout.jsonl"), lines("heldout"));
    // train.py refuses any training row whose normalised prompt hashes to one of these.
    writeFileSync(join(o.out, "heldout_hashes.txt"), guard.hashes().join("\n") + "\n");
    const full = { ...manifest, sources: o.source, general: o.general || null, checker: { mode: checker.config.mode } };
    writeFileSync(join(o.out, "manifest.json"), JSON.stringify(full, null, 2) + "\n");
    return full;
  } finally {
    await checker.close();
  }
}
