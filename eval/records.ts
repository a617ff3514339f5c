/** One JSONL line per finished work item; a killed run resumes from the keys already written. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ChatCall } from "./client.js";
import type { Heuristic } from "./config.js";
import type { PkgVerdict } from "./heuristics.js";
import type { Language } from "./prompts.js";
import type { ExecOutcome } from "./humaneval.js";

export interface EvalRecord {
  v: 1;
  key: string;
  kind: "package" | "humaneval";
  dataset: string;
  language: Language;
  promptId: string;
  model: string;
  profile: string;
  temperature: number;
  repeat: number;
  expected?: string;
  prompt: string;
  calls: Partial<Record<"code" | "h2" | "h3" | "humaneval", ChatCall>>;
  packages?: Partial<Record<Heuristic, PkgVerdict[]>>;
  humaneval?: Omit<ExecOutcome, "task_id">;
  ms: number;
  finishedAt: string;
  /** Set when a call failed; such items are redone on resume and left out of metrics. */
  error?: string;
}

export function itemKey(parts: { dataset: string; promptId: string; model: string; profile: string; temperature: number; repeat: number }): string {
  return [parts.dataset, parts.promptId, parts.model, parts.profile, parts.temperature, parts.repeat].join("|");
}

/** Reads every complete line; a torn last line (killed mid-write) is skipped. */
export function readRecords(path: string): EvalRecord[] {
  if (!existsSync(path)) return [];
  const out: EvalRecord[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EvalRecord);
    } catch {
      /* torn line from a kill */
    }
  }
  return out;
}

/** The latest successful record per key (a redone item supersedes its failed attempt). */
export function latestByKey(records: EvalRecord[]): Map<string, EvalRecord> {
  const map = new Map<string, EvalRecord>();
  for (const r of records) if (!r.error || !map.has(r.key)) map.set(r.key, r);
  return map;
}

export class RecordWriter {
  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    // A kill can leave a torn last line; start the next record on a fresh line.
    if (existsSync(path)) {
      const text = readFileSync(path, "utf8");
      if (text.length > 0 && !text.endsWith("\n")) appendFileSync(path, "\n");
    }
  }

  /** Synchronous append: each record is on disk before the next item is counted done. */
  write(record: EvalRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }
}
