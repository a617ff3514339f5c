/**
 * The held-out guard: every prompt an eval set uses (the paper's Python_LLM_AT / Javascript_LLM_AT prompts
 * and the testbed's eval sets) is held out of training. Prompts are compared after normalisation, and the
 * guard is written next to the training data as hashes so that train.py can refuse on its own as well.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** Same rule as `normalize_prompt` in finetune/train.py: lowercase, runs of non-alphanumerics to one space. */
export function normalizePrompt(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
}

export function promptHash(text: string): string {
  return createHash("sha256").update(normalizePrompt(text)).digest("hex").slice(0, 32);
}

function readMaybeGz(path: string): string {
  const buf = readFileSync(path);
  return (path.endsWith(".gz") ? gunzipSync(buf) : buf).toString("utf8");
}

/**
 * Prompts of a paper prompt file: one JSON string per line. A malformed line (the Python file's first line
 * runs several prompts together) is still split on its quoted prompts, so none of them can slip into training.
 */
export function readPaperPrompts(path: string): string[] {
  const out: string[] = [];
  for (const line of readMaybeGz(path).split("\n")) {
    if (!line.trim()) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v === "string") {
        out.push(...v.split(/\n\s*\d+\.\s*/).map((s) => s.replace(/^"+|"+$/g, "")));
        continue;
      }
    } catch {
      // fall through: take every quoted run of the line
    }
    for (const m of line.matchAll(/"((?:[^"\\]|\\.)+)"/g)) out.push(m[1]!.replace(/\\"/g, '"'));
  }
  return out.filter((s) => s.trim().length > 0);
}

/** User prompts (listing and code) of a testbed eval set (`name`, `user`, `code_user` per line). */
export function readEvalSetPrompts(path: string): { prompts: string[]; packages: string[] } {
  const prompts: string[] = [];
  const packages: string[] = [];
  for (const line of readMaybeGz(path).split("\n")) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { user?: string; code_user?: string; name?: string; registry?: string };
    if (row.user) prompts.push(row.user);
    if (row.code_user) prompts.push(row.code_user);
    if (row.name) packages.push(`${row.registry ?? "pypi"}:${row.name}`);
  }
  return { prompts, packages };
}

export interface HeldoutGuard {
  has(prompt: string): boolean;
  size: number;
  hashes(): string[];
  /** Where each held-out prompt came from, for the manifest. */
  sources: Record<string, number>;
  /** `registry:name` of the packages the eval sets are about (never used as training tasks). */
  packages: Set<string>;
}

/** Default eval files of this repository (engineer E's copies under data/eval/). */
export function defaultHeldoutFiles(root: string): string[] {
  const files = [
    "data/eval/paper/Python_LLM_AT.json.gz",
    "data/eval/paper/Javascript_LLM_AT.json.gz",
    ...["heldout_pypi", "heldout_npm", "seen_pypi", "seen_npm", "seen_tail_pypi"].map((s) => `data/eval/testbed/${s}.jsonl.gz`),
  ].map((f) => join(root, f));
  return files.filter((f) => existsSync(f));
}

export function loadHeldout(files: string[]): HeldoutGuard {
  const set = new Set<string>();
  const sources: Record<string, number> = {};
  const packages = new Set<string>();
  for (const f of files) {
    const isPaper = /\.json(\.gz)?$/.test(f) && !/\.jsonl(\.gz)?$/.test(f);
    const prompts = isPaper ? readPaperPrompts(f) : readEvalSetPrompts(f).prompts;
    if (!isPaper) for (const p of readEvalSetPrompts(f).packages) packages.add(p);
    for (const p of prompts) set.add(promptHash(p));
    sources[f.split("/").pop()!] = prompts.length;
  }
  return { has: (p) => set.has(promptHash(p)), size: set.size, hashes: () => [...set].sort(), sources, packages };
}
