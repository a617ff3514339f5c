/**
 * self-refine: the paper's loop. After each answer, find its packages (text and tool
 * calls) and judge them (the same model's self-detection, registry truth, or both),
 * then ask again naming the invalid ones. Stops when clean, at `maxRounds`, or when the
 * client goes away; returns the answer with the fewest invalid packages, ties to the
 * latest. A text answer is asked again in the paper's two-turn form; an answer whose
 * tool calls would install a bad package gets tool results saying the commands were not
 * run and why, which is how an agent's model learns a command failed.
 */
import type { Generation, Message, ModelCall, ToolResultPart } from "../core/parts.js";
import { addUsage, collectStream, replayGeneration, textOf, toolCallsOf } from "../core/stream.js";
import type { CheckReport, CheckedPackage, Ecosystem, PackageChecker } from "../packages/types.js";
import { packageKey } from "../packages/names.js";
import type { Mitigation, MitigationContext, MitigationRecord, Outcome, RecordPart } from "./types.js";
import type { SelfRefineOptions } from "./config.js";
import { render, type Templates } from "./templates.js";
import type { MitigationMetrics } from "./metrics.js";
import { asksForList, resolveEcosystem, withTimeout } from "./prompt.js";
import { askModel, type SelfAnswer } from "./self-detect.js";

export interface SelfRefineDeps {
  checker: PackageChecker;
  options: SelfRefineOptions;
  templates: Templates;
  metrics: MitigationMetrics;
  checkTimeoutMs: number;
  /** Names nobody could verify count as invalid (repair under a verify that blocks them). */
  unknownInvalid?: boolean;
}

type Generate = (call: ModelCall) => Promise<Generation>;

interface Judged {
  report: CheckReport;
  /** Packages judged invalid under the configured detection mode (one per name). */
  invalid: CheckedPackage[];
  self: SelfAnswer[];
}

export interface RoundRecord {
  round: number;
  /** Packages named in the regeneration instruction. */
  named: string[];
  /** Of those, the ones gone from the new answer. */
  dropped: string[];
  /** Invalid packages in the new answer. */
  invalid: string[];
  tokens: number;
}

export function createSelfRefine(deps: SelfRefineDeps): Mitigation {
  return {
    name: "self-refine",
    async wrapGenerate({ doGenerate, call, ctx }) {
      const { best, outcome } = await refine(deps, async (c) => (await doGenerate(c)).generation, call, ctx);
      return { ...outcome, transformed: best };
    },
    async *wrapStream({ doStream, call, ctx }) {
      // A regeneration cannot take back streamed tokens, so every round is collected whole.
      const inner: MitigationRecord[] = [];
      const generate: Generate = async (c) => {
        const { generation, others } = await collectStream<RecordPart>(doStream(c));
        inner.push(...others.map((o) => o.record));
        return generation;
      };
      const { best, outcome } = await refine(deps, generate, call, ctx);
      yield* replayGeneration(best);
      for (const record of inner) yield { type: "record", record };
      return outcome;
    },
  };
}

async function refine(deps: SelfRefineDeps, generate: Generate, call: ModelCall, ctx: MitigationContext): Promise<{ best: Generation; outcome: Outcome<never> }> {
  const ecosystem = resolveEcosystem(ctx, call);
  let current = await generate(call);
  const tokens = { usage: current.usage };
  let judged = await judge(deps, generate, call, ctx, current, ecosystem, tokens);
  const first = judged;
  const candidates = [{ generation: current, invalid: judged.invalid.length, round: 0 }];
  const rounds: RoundRecord[] = [];
  const selfDetection: SelfAnswer[][] = [judged.self];
  let stoppedBy: "clean" | "limit" | "aborted" | "error" = "clean";
  let error: string | undefined;
  const t0 = performance.now();

  for (let round = 1; judged.invalid.length > 0; round++) {
    if (round > deps.options.maxRounds) { stoppedBy = "limit"; break; }
    if (ctx.signal.aborted) { stoppedBy = "aborted"; break; }
    const named = judged.invalid;
    try {
      const before = tokens.usage?.totalTokens ?? 0;
      current = await generate(regenerationCall(deps.templates, call, current, judged.invalid));
      deps.metrics.regenerations.inc();
      tokens.usage = addUsage(tokens.usage, current.usage);
      judged = await judge(deps, generate, call, ctx, current, ecosystem, tokens);
      const names = new Set(judged.report.packages.map((p) => `${p.ecosystem}:${packageKey(p.ecosystem, p.name)}`));
      rounds.push({
        round,
        named: named.map((p) => p.name),
        dropped: named.filter((p) => !names.has(`${p.ecosystem}:${packageKey(p.ecosystem, p.name)}`)).map((p) => p.name),
        invalid: judged.invalid.map((p) => p.name),
        tokens: (tokens.usage?.totalTokens ?? 0) - before,
      });
      selfDetection.push(judged.self);
      candidates.push({ generation: current, invalid: judged.invalid.length, round });
    } catch (err) {
      // An aborted or failed regeneration leaves the best answer so far.
      stoppedBy = ctx.signal.aborted ? "aborted" : "error";
      error = err instanceof Error ? err.message : String(err);
      break;
    }
  }

  const best = candidates.reduce((a, b) => (b.invalid <= a.invalid ? b : a));
  deps.metrics.selfRefineRounds.observe({ stopped_by: stoppedBy }, rounds.length);
  deps.metrics.moduleLatency.observe({ module: "self-refine" }, (performance.now() - t0) / 1000);
  if (best.invalid === 0) countRepairedCalls(deps.metrics, first);
  const outcome: Outcome<never> = {
    verdict: rounds.length === 0 ? (stoppedBy === "clean" ? "pass" : "flagged") : best.invalid === 0 ? "modified" : "flagged",
    data: {
      detection: deps.options.detection,
      max_rounds: deps.options.maxRounds,
      rounds: rounds.length,
      stopped_by: stoppedBy,
      best_round: best.round,
      invalid_first: candidates[0]!.invalid,
      invalid_best: best.invalid,
      per_round: rounds,
      ...(deps.options.detection !== "registry" ? { self_detection: selfDetection } : {}),
      tokens: tokens.usage ?? null,
      ...(error ? { error } : {}),
      /** The check of the model's first answer ("at the model"), for the report. */
      model_check: first.report,
    },
  };
  return { best: tokens.usage ? { ...best.generation, usage: tokens.usage } : best.generation, outcome };
}

function countRepairedCalls(m: MitigationMetrics, first: Judged): void {
  const calls = new Map<string, string>();
  for (const p of first.invalid) if (p.location) calls.set(p.location.toolCallId, p.location.tool);
  for (const tool of calls.values()) m.toolCalls.inc({ tool: m.toolLabel(tool), verdict: "hallucination", action: "repaired" });
}

function describe(p: CheckedPackage): string {
  return p.suggestion ? `${p.name} (did you mean ${p.suggestion}?)` : p.name;
}

/**
 * The next round's call. Text: the paper's two-turn form (the conversation, the answer,
 * then the instruction naming the invalid packages). Tool calls: the answer, then a result
 * per call saying it was not run and why.
 */
export function regenerationCall(templates: Templates, call: ModelCall, answer: Generation, invalid: readonly CheckedPackage[]): ModelCall {
  const inCalls = invalid.filter((p) => p.location);
  const calls = toolCallsOf(answer.content);
  if (inCalls.length === 0 || calls.length === 0) {
    const names = invalid.map((p) => p.name);
    const instruction = names.length === 1
      ? render(templates["selfRefine.regenerateOne"], { package: names[0]! })
      : render(templates["selfRefine.regenerateMany"], { packages: names.join(", ") });
    const prompt: Message[] = [
      ...call.prompt,
      { role: "assistant", content: [{ type: "text", text: textOf(answer.content) }] },
      { role: "user", content: [{ type: "text", text: instruction }] },
    ];
    // A text completion is asked again as the chat it also is: its own text alone would get the same answer.
    const { completion: _text, ...asChat } = call;
    return { ...asChat, prompt };
  }
  const results: ToolResultPart[] = calls.map((c) => {
    const mine = inCalls.filter((p) => p.location!.toolCallId === c.id);
    const key = mine.length === 0 ? "selfRefine.toolResultSibling" : mine.length === 1 ? "selfRefine.toolResultOne" : "selfRefine.toolResultMany";
    return { type: "tool-result", callId: c.id, output: render(templates[key], { packages: mine.map(describe).join(", ") }), isError: true };
  });
  return { ...call, prompt: [...call.prompt, { role: "assistant", content: answer.content }, { role: "tool", content: results }] };
}

async function judge(
  deps: SelfRefineDeps,
  generate: Generate,
  call: ModelCall,
  ctx: MitigationContext,
  answer: Generation,
  ecosystem: Ecosystem | undefined,
  tokens: { usage: Generation["usage"] },
): Promise<Judged> {
  const calls = toolCallsOf(answer.content);
  const input = {
    text: textOf(answer.content),
    ...(calls.length ? { toolCalls: calls.map((c) => ({ id: c.id, name: c.name, input: c.input })) } : {}),
    ...(ecosystem ? { ecosystem } : {}),
    ...(asksForList(call) ? { expectList: true } : {}),
    ...(ctx.model.tools !== undefined ? { tools: ctx.model.tools } : {}),
  };
  const report = await withTimeout(deps.checker.check(input, { signal: ctx.signal, lookupBudget: ctx.lookupBudget }), deps.checkTimeoutMs, "package check");
  const pkgs = uniquePackages(report.packages.filter((p) => p.ecosystem !== "conda"));
  const mode = deps.options.detection;
  const self = mode === "registry" ? [] : await askModel({ deps, generate, call, ctx, pkgs, tokens });
  const selfNo = new Set(self.filter((s) => s.answer === "no").map((s) => s.package));
  for (const s of self) {
    const disagrees = (s.answer === "no" && s.registry === "exists") || (s.answer === "yes" && s.registry === "not_found");
    if (disagrees) deps.metrics.selfDetectDisagreements.inc({ registry: s.registry });
  }
  const invalid = pkgs.filter((p) => {
    if (mode === "self") return selfNo.has(p.name);
    // both: the registry decides what it knows, the model the rest.
    if (p.verdict === "unknown") return mode === "both" ? selfNo.has(p.name) : deps.unknownInvalid === true;
    return p.verdict === "not_found";
  });
  return { report, invalid, self };
}

function uniquePackages(pkgs: CheckedPackage[]): CheckedPackage[] {
  const seen = new Set<string>();
  return pkgs.filter((p) => {
    const key = `${p.ecosystem}:${p.normalized}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
