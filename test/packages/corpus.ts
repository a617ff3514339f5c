/** Reads the labelled answer corpus in test/fixtures/answers/*.md. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Ecosystem } from "../../src/packages/types.js";

export interface LabelledAnswer {
  id: string;
  file: string;
  ecosystem: Ecosystem;
  expect: string[];
  text: string;
}

export const ANSWERS_DIR = join(import.meta.dirname, "..", "fixtures", "answers");

export function loadCorpus(): LabelledAnswer[] {
  const out: LabelledAnswer[] = [];
  for (const file of readdirSync(ANSWERS_DIR).filter((f) => f.endsWith(".md") && f !== "README.md")) {
    const chunks = readFileSync(join(ANSWERS_DIR, file), "utf8").split(/^=== id: /m).slice(1);
    for (const chunk of chunks) {
      const sep = chunk.indexOf("\n---\n");
      const head = chunk.slice(0, sep).split("\n");
      const field = (k: string): string => head.find((l) => l.startsWith(`${k}:`))?.slice(k.length + 1).trim() ?? "";
      out.push({
        id: head[0]!.trim(),
        file,
        ecosystem: field("ecosystem") as Ecosystem,
        expect: field("expect").split(",").map((s) => s.trim()).filter(Boolean),
        text: chunk.slice(sep + 5).replace(/\n$/, ""),
      });
    }
  }
  return out;
}
