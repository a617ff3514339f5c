/**
 * The shipped package selection (rag-index/data/*.tsv.gz, most popular first) as index
 * rows: one per package, with the canonical statement "Package X could answer questions
 * about Y." (the form the testbed model was trained on) and the fields the lexical index
 * searches. Every summary is sanitised again here: the data is someone else's words.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import type { Ecosystem } from "../packages/types.js";
import { isPromptLike, sanitize } from "./sanitize.js";

export const SelectionRowSchema = z.object({
  name: z.string().min(1).max(214).regex(/^(@[a-z0-9][a-z0-9._~-]*\/)?[A-Za-z0-9][A-Za-z0-9._~-]*$/),
  signal: z.string(),
  popularity: z.coerce.number(),
  summary: z.string(),
  imports: z.string().default(""),
  keywords: z.string().default(""),
  /** Tasks written for the package (the paper's prompts), " | "-separated. */
  tasks: z.string().default(""),
});

export interface PackageEntry {
  name: string;
  ecosystem: Ecosystem;
  /** 1 for the most popular package of the ecosystem, falling with the log of the rank, 0 past the last. */
  popularity: number;
  summary: string;
  imports: string;
  keywords: string;
  /** The authors' own keywords (`readTags`). */
  tags: string;
  /** A longer description by a third party (Debian's, `readDebian`). */
  about: string;
  /** Tasks the package answers: the paper's prompts, then tasks written for it (`readUses`). */
  tasks: string[];
}

export interface IndexRow {
  package: string;
  ecosystem: Ecosystem;
  /** The canonical statement, what goes into the prompt. */
  statement: string;
  summary: string;
  imports: string;
  keywords: string;
  tags: string;
  about: string;
  /** Extra task questions from `rag-index build --generator`. */
  questions: string;
  popularity: number;
}

export const ECOSYSTEMS: Ecosystem[] = ["pypi", "npm"];

function identifiers(text: string): string {
  return text.split(/\s+/).filter((w) => /^[A-Za-z0-9_.-]{1,100}$/.test(w)).join(" ");
}

// Authors tag packages with up to dozens of keywords, some to be found for everything.
const MAX_TAGS = 20;

/** name → cleaned text of a two-column side file (`<ecosystem>-<kind>.tsv.gz`); empty when the file is absent. */
function readSideFile<T>(dataDir: string, ecosystem: Ecosystem, kind: string, clean: (text: string) => T | undefined): Map<string, T> {
  const file = path.join(dataDir, `${ecosystem}-${kind}.tsv.gz`);
  if (!existsSync(file)) return new Map();
  const out = new Map<string, T>();
  for (const line of gunzipSync(readFileSync(file)).toString("utf8").split("\n").slice(1)) {
    const [name, text] = line.split("\t");
    const cleaned = name && text && !isPromptLike(text) ? clean(text) : undefined;
    if (cleaned) out.set(name!, cleaned);
  }
  return out;
}

/**
 * The authors' keywords of each package (`<ecosystem>-tags.tsv.gz`, `rag-index/scripts/npm-tags.ts`),
 * as index words: the first MAX_TAGS tags, identifiers only.
 */
export function readTags(dataDir: string, ecosystem: Ecosystem): Map<string, string> {
  return readSideFile(dataDir, ecosystem, "tags", (tags) => identifiers(tags.split(",").slice(0, MAX_TAGS).join(" ").replace(/[^\p{L}\p{N}._-]+/gu, " ")) || undefined);
}

/**
 * Debian's long description of the package (`<ecosystem>-debian.tsv.gz`,
 * `rag-index/scripts/debian-descriptions.ts`), sanitised like a summary but kept longer.
 */
export function readDebian(dataDir: string, ecosystem: Ecosystem): Map<string, string> {
  return readSideFile(dataDir, ecosystem, "debian", (text) => sanitize(text, 800));
}

// A written task is a sentence a developer would type: a few words to a short paragraph.
const MAX_TASK_CHARS = 160;
export const TASK_SEPARATOR = " | ";

/**
 * Tasks people need the package for (`<ecosystem>-uses.tsv.gz`, `rag-index/scripts/written-tasks.ts`):
 * " | "-separated, each sanitised like a summary. Document expansion for what a summary does not say
 * ("OCR" for a package summarised as a Tesseract wrapper).
 */
export function readUses(dataDir: string, ecosystem: Ecosystem): Map<string, string[]> {
  return readSideFile(dataDir, ecosystem, "uses", (text) => {
    const tasks = text.split(TASK_SEPARATOR).flatMap((t) => sanitize(t, MAX_TASK_CHARS) ?? []);
    return tasks.length ? tasks : undefined;
  });
}

/**
 * A digest of the data files the index is built from (`*.tsv.gz` at the top of the folder), or
 * undefined when the folder is absent. Cheap (a few MB hashed), so a gateway can tell at start
 * whether its index was built from the data it ships (`indexServes`).
 */
export function dataDigest(dataDir: string): string | undefined {
  if (!existsSync(dataDir)) return undefined;
  const h = createHash("sha256");
  for (const f of readdirSync(dataDir).filter((n) => n.endsWith(".tsv.gz")).sort()) h.update(`${f}\n`).update(readFileSync(path.join(dataDir, f)));
  return h.digest("hex").slice(0, 32);
}

export function readSelection(dataDir: string, ecosystem: Ecosystem): PackageEntry[] {
  const file = path.join(dataDir, `${ecosystem}.tsv.gz`);
  const tags = readTags(dataDir, ecosystem);
  const debian = readDebian(dataDir, ecosystem);
  const uses = readUses(dataDir, ecosystem);
  const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
  const header = lines[0]?.split("\t") ?? [];
  const body = lines.slice(1).filter((l) => l.length > 0);
  return body.flatMap((line, i) => {
    const cells = line.split("\t");
    const row = SelectionRowSchema.safeParse(Object.fromEntries(header.map((h, j) => [h, cells[j] ?? ""])));
    const summary = row.success ? sanitize(row.data.summary) : undefined;
    if (!row.success || !summary) return [];
    const keywords = isPromptLike(row.data.keywords) ? "" : identifiers(row.data.keywords);
    const entry: PackageEntry = {
      name: row.data.name,
      ecosystem,
      popularity: 1 - Math.log(i + 1) / Math.log(body.length + 1),
      summary,
      imports: identifiers(row.data.imports),
      keywords,
      tags: tags.get(row.data.name) ?? "",
      about: debian.get(row.data.name) ?? "",
      tasks: [...row.data.tasks.split(TASK_SEPARATOR).flatMap((t) => sanitize(t, 300) ?? []), ...(uses.get(row.data.name) ?? [])],
    };
    return [entry];
  });
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

export function statementFor(name: string, summary: string): string {
  // Summary kept as written (no re-casing): the testbed model was trained on exactly this form.
  return `Package ${name} could answer questions about ${firstSentence(summary).replace(/[.\s]+$/, "")}.`;
}

export function indexRows(
  dataDir: string,
  generated: Map<string, string[]> = new Map(),
): { rows: IndexRow[]; packages: Record<Ecosystem, number> } {
  const rows: IndexRow[] = [];
  const packages = { pypi: 0, npm: 0 } as Record<Ecosystem, number>;
  for (const ecosystem of ECOSYSTEMS) {
    for (const e of readSelection(dataDir, ecosystem)) {
      packages[ecosystem] += 1;
      const generatedQuestions = (generated.get(`${ecosystem}:${e.name}`) ?? []).flatMap((q) => sanitize(q, 160) ?? []);
      const questions = [...e.tasks, ...generatedQuestions].join(" ");
      rows.push({
        package: e.name,
        ecosystem,
        statement: statementFor(e.name, e.summary),
        summary: e.summary,
        imports: e.imports,
        keywords: e.keywords,
        tags: e.tags,
        about: e.about,
        questions,
        popularity: e.popularity,
      });
    }
  }
  return { rows, packages };
}
