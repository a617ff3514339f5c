/**
 * The dataset builder: a model's own answers in, chat-format training rows out. An answer is kept only when
 * every package it names exists (as the package checker says); eval prompts go to a held-out split; repeated
 * prompts are dropped; package-free code examples can be mixed in. Every decision is counted in the manifest.
 */
import { z } from "zod";
import type { Ecosystem, PackageChecker } from "../src/packages/types.js";
import type { HeldoutGuard } from "./heldout.js";
import { normalizePrompt } from "./heldout.js";

const MessageSchema = z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() });

/** Accepts `finetune generate` rows, eval-run rows and plain prompt→answer rows. */
export const SourceRowSchema = z
  .object({
    system: z.string().optional(),
    user: z.string().optional(),
    prompt: z.string().optional(),
    messages: z.array(MessageSchema).optional(),
    answer: z.string().optional(),
    response: z.string().optional(),
    completion: z.string().optional(),
    ecosystem: z.enum(["pypi", "npm"]).optional(),
    kind: z.enum(["list", "code"]).optional(),
    run: z.string().optional(),
  })
  .passthrough();
export type SourceRow = z.infer<typeof SourceRowSchema>;

export interface Example {
  system: string | undefined;
  user: string;
  answer: string;
  ecosystem: Ecosystem;
  kind: "list" | "code";
  run: string;
}

export type DropReason = "unparseable" | "empty_answer" | "no_packages" | "hallucinated" | "unverified" | "duplicate";

export interface ChatRow {
  messages: { role: string; content: string }[];
  split: "train" | "heldout";
  origin: "kept" | "repaired" | "general" | "heldout";
  run: string;
}

export interface Manifest {
  counts: {
    input: number;
    kept: number;
    repaired: number;
    general: number;
    train: number;
    heldout: number;
    dropped: Record<DropReason, number>;
  };
  byKind: Record<string, { input: number; kept: number; repaired: number }>;
  runs: Record<string, number>;
  repair: boolean;
  heldoutSources: Record<string, number>;
  heldoutPrompts: number;
}

/** Resolves the prompt, answer, ecosystem and kind of one source row, or null when it has none. */
export function toExample(row: SourceRow, fallbackRun: string): Example | null {
  let system = row.system;
  let user = row.user ?? row.prompt;
  let answer = row.answer ?? row.response ?? row.completion;
  if (row.messages?.length) {
    const msgs = row.messages;
    system ??= msgs.find((m) => m.role === "system")?.content;
    const lastUser = [...msgs].reverse().find((m) => m.role === "user");
    user ??= lastUser?.content;
    if (answer === undefined && msgs.at(-1)?.role === "assistant") answer = msgs.at(-1)!.content;
  }
  if (!user || answer === undefined) return null;
  const text = `${system ?? ""}\n${user}`;
  const ecosystem: Ecosystem = row.ecosystem ?? (/\bnpm\b|javascript|node\.?js/i.test(text) ? "npm" : "pypi");
  const kind = row.kind ?? (/```|\b(pip|npm) install\b/.test(answer) ? "code" : "list");
  return { system, user, answer, ecosystem, kind, run: row.run ?? fallbackRun };
}

/** Comma-separated package list → names, as the testbed's listing answers are written. */
export function parseListing(text: string): string[] {
  const out: string[] = [];
  for (const part of text.replace(/\n/g, ",").split(",")) {
    let p = part.trim().replace(/^[`'".;:]+|[`'".;:]+$/g, "");
    if (!p) continue;
    if (p.includes(" ")) p = p.split(/\s+/)[0]!;
    p = p.split(/[<>=!~[]/)[0]!;
    if (/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(p) && !out.includes(p)) out.push(p);
  }
  return out;
}

interface Verdict {
  keep: "kept" | "repaired" | null;
  reason?: DropReason;
  answer: string;
}

async function judge(ex: Example, checker: PackageChecker, repair: boolean): Promise<Verdict> {
  if (!ex.answer.trim()) return { keep: null, reason: "empty_answer", answer: ex.answer };
  const names = ex.kind === "list" ? parseListing(ex.answer) : [];
  const report = await checker.check(
    ex.kind === "list" ? { packages: names, ecosystem: ex.ecosystem } : { text: ex.answer, ecosystem: ex.ecosystem },
  );
  if (ex.kind === "list" && names.length === 0) return { keep: null, reason: "no_packages", answer: ex.answer };
  // An allowlisted (private) package is as good as an existing one.
  const bad = report.packages.filter((p) => p.verdict !== "exists" && p.verdict !== "allowed");
  if (bad.length === 0) return { keep: "kept", answer: ex.answer };
  const reason: DropReason = bad.some((p) => p.verdict === "not_found") ? "hallucinated" : "unverified";
  // Repair keeps only the names that verifiably exist; code cannot be repaired by deleting a name (its import stays).
  if (repair && ex.kind === "list") {
    const badNames = new Set(bad.map((p) => p.name.toLowerCase()));
    const rest = names.filter((n) => !badNames.has(n.toLowerCase()));
    if (rest.length) return { keep: "repaired", answer: rest.join(", ") };
  }
  return { keep: null, reason, answer: ex.answer };
}

function chat(ex: Pick<Example, "system" | "user">, answer: string): ChatRow["messages"] {
  return [...(ex.system ? [{ role: "system", content: ex.system }] : []), { role: "user", content: ex.user }, { role: "assistant", content: answer }];
}

export interface BuildInput {
  sources: { name: string; rows: unknown[] }[];
  checker: PackageChecker;
  guard: HeldoutGuard;
  repair: boolean;
  general?: { rows: unknown[]; maxShare: number };
}

export async function buildDataset(input: BuildInput): Promise<{ rows: ChatRow[]; manifest: Manifest }> {
  const dropped: Record<DropReason, number> = { unparseable: 0, empty_answer: 0, no_packages: 0, hallucinated: 0, unverified: 0, duplicate: 0 };
  const byKind: Manifest["byKind"] = {};
  const runs: Record<string, number> = {};
  const seen = new Set<string>();
  const rows: ChatRow[] = [];
  let inputCount = 0, kept = 0, repaired = 0, heldout = 0;
  for (const src of input.sources) {
    for (const raw of src.rows) {
      inputCount++;
      const parsed = SourceRowSchema.safeParse(raw);
      const ex = parsed.success ? toExample(parsed.data, src.name) : null;
      if (!ex) { dropped.unparseable++; continue; }
      runs[ex.run] = (runs[ex.run] ?? 0) + 1;
      const k = (byKind[`${ex.ecosystem}:${ex.kind}`] ??= { input: 0, kept: 0, repaired: 0 });
      k.input++;
      // Held out before anything else: an eval prompt never reaches train.jsonl, whatever its answer.
      if (input.guard.has(ex.user)) {
        heldout++;
        rows.push({ messages: chat(ex, ex.answer), split: "heldout", origin: "heldout", run: ex.run });
        continue;
      }
      // Near-duplicates: the same prompt after normalising case, whitespace and punctuation keeps one answer.
      const key = normalizePrompt(`${ex.system ?? ""} ${ex.user}`);
      if (seen.has(key)) { dropped.duplicate++; continue; }
      const v = await judge(ex, input.checker, input.repair);
      if (!v.keep) { dropped[v.reason!]++; continue; }
      seen.add(key);
      if (v.keep === "kept") { kept++; k.kept++; } else { repaired++; k.repaired++; }
      rows.push({ messages: chat(ex, v.answer), split: "train", origin: v.keep, run: ex.run });
    }
  }
  const general = mixGeneral(input.general, kept + repaired, seen, input.guard);
  rows.push(...general);
  const manifest: Manifest = {
    counts: { input: inputCount, kept, repaired, general: general.length, train: kept + repaired + general.length, heldout, dropped },
    byKind, runs, repair: input.repair, heldoutSources: input.guard.sources, heldoutPrompts: input.guard.size,
  };
  return { rows, manifest };
}

/** Package-free examples, capped at `maxShare` of the final training rows; the held-out guard applies too. */
function mixGeneral(general: BuildInput["general"], selfCount: number, seen: Set<string>, guard: HeldoutGuard): ChatRow[] {
  if (!general) return [];
  const cap = Math.floor((selfCount * general.maxShare) / Math.max(1e-9, 1 - general.maxShare));
  const out: ChatRow[] = [];
  for (const raw of general.rows) {
    if (out.length >= cap) break;
    const parsed = SourceRowSchema.safeParse(raw);
    const ex = parsed.success ? toExample(parsed.data, "general") : null;
    if (!ex || guard.has(ex.user)) continue;
    const key = normalizePrompt(`${ex.system ?? ""} ${ex.user}`);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ messages: chat(ex, ex.answer), split: "train", origin: "general", run: ex.run });
  }
  return out;
}
