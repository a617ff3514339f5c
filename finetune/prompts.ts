/**
 * Synthetic training prompts built from registry summaries, in the testbed's trained phrasings. The
 * packages named by any eval set are excluded so that no eval task is ever a training task.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { rng } from "../eval/stats.js";
import { packageKey } from "../src/packages/names.js";

export const SYS = {
  codePy:
    "You are a coding assistant that generates Python code to solve the user's request. Include the pip install command for any package you use.",
  codeJs:
    "You are a coding assistant that generates JavaScript code to solve the user's request. Include the npm install command for any package you use.",
  listPy:
    "You are a coding assistant that recommends Python packages that would be helpful to solve given problems. Respond with only a list of Python packages, separated by commas and without additional text or formatting.",
  listJs:
    "You are a coding assistant that recommends JavaScript packages from npm that would be helpful to solve given problems. Respond with only a list of npm packages, separated by commas and without additional text or formatting.",
} as const;

export const PromptRowSchema = z.object({
  id: z.string(),
  kind: z.enum(["list", "code"]),
  ecosystem: z.enum(["pypi", "npm"]),
  system: z.string(),
  user: z.string(),
  /** The registry package whose summary the task came from (provenance, never a label). */
  from: z.string().optional(),
});
export type PromptRow = z.infer<typeof PromptRowSchema>;

export interface RegistryRow {
  name: string;
  summary: string;
  popular: boolean;
}

/** Reads a registry TSV (optionally gzipped) with `name` and `summary` columns. */
export function readRegistryTsv(path: string, popular: (cols: string[]) => boolean): RegistryRow[] {
  const buf = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(buf) : buf).toString("utf8");
  const lines = text.split("\n");
  const header = (lines[0] ?? "").split("\t");
  const iSummary = header.indexOf("summary");
  const rows: RegistryRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cols = (lines[i] ?? "").split("\t");
    const name = cols[0];
    if (!name) continue;
    rows.push({ name, summary: cols[iSummary] ?? "", popular: popular(cols) });
  }
  return rows;
}

/** Turns a registry summary into a task, or null when it is unusable (too short, URLs, non-ASCII, names itself). */
export function cleanSummary(summary: string, name: string): string | null {
  let s = summary.replace(/https?:\/\/\S+/g, "").replace(/\s+/g, " ").trim();
  if (s.length < 12 || /[^\x20-\x7e]/.test(s)) return null;
  const stop = /[.!?](\s|$)/.exec(s);
  if (stop && stop.index > 15) s = s.slice(0, stop.index);
  s = s.split(" ").slice(0, 22).join(" ").replace(/^[\s.!:;,-]+|[\s.!:;,-]+$/g, "");
  const short = name.split("/").pop() ?? name;
  // A summary naming its own package would leak the answer into the prompt.
  if (short.length >= 3 && s.toLowerCase().includes(short.toLowerCase().replace(/[-_]/g, " "))) return null;
  if (short.length >= 3 && s.toLowerCase().includes(short.toLowerCase())) return null;
  if (s.split(" ").length < 3 || !/[a-zA-Z]{3}/.test(s)) return null;
  return s.length > 1 && !/[A-Z]/.test(s[1] ?? "") ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** The eval module's seeded PRNG (mulberry32), so prompt sets are reproducible. */
export { rng };

function phrase(task: string, kind: "list" | "code", ecosystem: "pypi" | "npm", pick: number): { system: string; user: string } {
  const article = /^(a|an|the)\s/i.test(task);
  if (kind === "code") {
    const lang = ecosystem === "pypi" ? "Python" : "JavaScript";
    const body = article ? ["uses", "works with"][pick % 2] + " " + task : ["uses a library for", "works with", "implements"][pick % 3] + " " + task;
    return { system: ecosystem === "pypi" ? SYS.codePy : SYS.codeJs, user: `Generate ${lang} code that ${body}` };
  }
  const lead = ecosystem === "pypi" ? "Which Python packages" : "Which npm packages";
  const t = article ? [`Use ${task}.`, `I need ${task}.`][pick % 2] : [`I need a library for ${task}.`, `Find a package for ${task}.`, `Work with ${task}.`][pick % 3];
  return { system: ecosystem === "pypi" ? SYS.listPy : SYS.listJs, user: `${lead} would be useful in solving the following coding problem: ${t}` };
}

export interface PromptPlan {
  ecosystem: "pypi" | "npm";
  kind: "list" | "code";
  count: number;
}

/**
 * Draws `count` packages per plan entry (a `popularShare` of them from popular packages, the rest from the
 * whole registry) and phrases their summaries as prompts. Names in `exclude` (normalised) never appear.
 */
export function buildPrompts(opts: {
  registries: Record<"pypi" | "npm", RegistryRow[]>;
  plan: PromptPlan[];
  exclude: Set<string>;
  popularShare: number;
  seed: number;
}): PromptRow[] {
  const rand = rng(opts.seed);
  const used = new Set<string>();
  const out: PromptRow[] = [];
  for (const p of opts.plan) {
    const rows = opts.registries[p.ecosystem];
    const popular = rows.filter((r) => r.popular);
    let made = 0;
    for (let tries = 0; made < p.count && tries < p.count * 50; tries++) {
      const pool = rand() < opts.popularShare && popular.length ? popular : rows;
      const r = pool[Math.floor(rand() * pool.length)]!;
      const key = `${p.ecosystem}:${normalizeName(r.name, p.ecosystem)}`;
      if (used.has(key) || opts.exclude.has(key)) continue;
      const task = cleanSummary(r.summary, r.name);
      if (!task) continue;
      used.add(key);
      out.push({ id: `${p.ecosystem}-${p.kind}-${made}`, kind: p.kind, ecosystem: p.ecosystem, from: r.name,
        ...phrase(task, p.kind, p.ecosystem, Math.floor(rand() * 6)) });
      made++;
    }
  }
  return interleave(out);
}

/** Spreads each kind evenly over the output, so the first k prompts (a truncated or sharded run) hold every kind. */
function interleave(rows: PromptRow[]): PromptRow[] {
  const size = new Map<string, number>();
  for (const r of rows) size.set(`${r.ecosystem}:${r.kind}`, (size.get(`${r.ecosystem}:${r.kind}`) ?? 0) + 1);
  const seen = new Map<string, number>();
  const keyed = rows.map((r) => {
    const g = `${r.ecosystem}:${r.kind}`;
    const k = seen.get(g) ?? 0;
    seen.set(g, k + 1);
    return { r, pos: (k + 0.5) / size.get(g)! };
  });
  return keyed.sort((a, b) => a.pos - b.pos).map((x) => x.r);
}

/** The gateway's and the eval's registry identity (src/packages/names.ts), so all three count names alike. */
export function normalizeName(name: string, ecosystem: "pypi" | "npm"): string {
  return packageKey(ecosystem, name);
}
