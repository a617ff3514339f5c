/**
 * Turns the shipped package selection (rag-index/data/*.tsv.gz) into statements
 * "Package X could answer questions about Y." Several variants per package give
 * retrieval more ways to match; every variant carries the package's canonical
 * statement, which is what ends up in the prompt (the testbed was trained on it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import type { Ecosystem } from "../src/packages/types.js";
import { sanitize } from "./sanitize.js";

export const SelectionRowSchema = z.object({
  name: z.string().min(1).max(214),
  signal: z.string(),
  popularity: z.coerce.number(),
  summary: z.string(),
});
export type SelectionRow = z.infer<typeof SelectionRowSchema>;

export interface PackageEntry {
  name: string;
  ecosystem: Ecosystem;
  /** Percentile within the ecosystem's selection, 1 = most popular. */
  popularity: number;
  summary: string;
}

export interface Statement {
  statement: string;
  canonical: string;
  package: string;
  ecosystem: Ecosystem;
  popularity: number;
}

export const ECOSYSTEMS: Ecosystem[] = ["pypi", "npm"];
const LANGUAGE: Record<Ecosystem, string> = { pypi: "Python", npm: "JavaScript" };

export function readSelection(dataDir: string, ecosystem: Ecosystem): PackageEntry[] {
  const file = path.join(dataDir, `${ecosystem}.tsv.gz`);
  const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
  const header = lines[0]?.split("\t") ?? [];
  const body = lines.slice(1).filter((l) => l.length > 0);
  return body.flatMap((line, i) => {
    const cells = line.split("\t");
    const row = SelectionRowSchema.safeParse(Object.fromEntries(header.map((h, j) => [h, cells[j] ?? ""])));
    const summary = row.success ? sanitize(row.data.summary) : undefined;
    if (!row.success || !summary) return [];
    return [{ name: row.data.name, ecosystem, popularity: 1 - i / body.length, summary }];
  });
}

const BOILERPLATE =
  /^(an?|the)?\s*(simple|small|tiny|minimal|lightweight|fast|easy|modern|pure|high[- ]performance|powerful)?[\s,]*(python|python ?3|javascript|js|node(\.js)?|typescript|react|vue)?\s*(library|package|module|tool|toolkit|utility|wrapper|plugin|implementation|sdk|framework|helpers?|utilities)\s+(for|to|that|which|providing|with)\s+/i;

function sentence(name: string, about: string): string {
  // Summary kept as written (no re-casing): the testbed model was trained on exactly this form.
  return `Package ${name} could answer questions about ${about.replace(/[.\s]+$/, "")}.`;
}

/**
 * The summary's first sentence, at most 22 words: the same cut the testbed used for
 * its RAG statements, so the canonical statement reads like its training data.
 */
export function firstSentence(summary: string): string {
  const m = /[.!?](\s|$)/.exec(summary);
  const s = m && m.index > 15 ? summary.slice(0, m.index) : summary;
  return s.split(" ").slice(0, 22).join(" ");
}

/** Variant texts for one package; the first is the canonical statement. */
export function variantsFor(entry: PackageEntry, extra: string[] = []): string[] {
  const canonical = sentence(entry.name, firstSentence(entry.summary));
  const core = entry.summary.replace(BOILERPLATE, "");
  const lang = LANGUAGE[entry.ecosystem];
  const out = [canonical, sentence(entry.name, entry.summary), sentence(entry.name, `${core}, in ${lang}`)];
  const clauses = entry.summary
    .split(/(?<=[.;!?])\s+|\s+[-–—]\s+|:\s+/)
    .map((c) => c.trim())
    .filter((c) => c.split(/\s+/).length >= 3);
  if (clauses.length > 1) for (const c of clauses) out.push(sentence(entry.name, c));
  for (const q of extra) out.push(sentence(entry.name, q));
  return [...new Set(out)];
}

export function buildStatements(
  dataDir: string,
  generated: Map<string, string[]> = new Map(),
): { statements: Statement[]; packages: Record<Ecosystem, number> } {
  const statements: Statement[] = [];
  const packages = { pypi: 0, npm: 0 } as Record<Ecosystem, number>;
  for (const ecosystem of ECOSYSTEMS) {
    for (const entry of readSelection(dataDir, ecosystem)) {
      packages[ecosystem] += 1;
      const texts = variantsFor(entry, generated.get(`${ecosystem}:${entry.name}`) ?? []);
      for (const statement of texts) {
        statements.push({ statement, canonical: texts[0]!, package: entry.name, ecosystem, popularity: entry.popularity });
      }
    }
  }
  return { statements, packages };
}
