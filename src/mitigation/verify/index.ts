/**
 * verify: always on, outermost. Checks every package the answer names, in its text and
 * in its tool calls, and annotates, blocks or (after self-refine, with `repair`) reports
 * what was repaired. A JSON answer goes through the same guard as a stream (guard.ts),
 * so both get the same decisions. Its record carries the check of the delivered answer;
 * the gateway builds the client's report from it (report.ts).
 */
import type { Generation, ModelCall } from "../../core/parts.js";
import { collectStream, replayGeneration } from "../../core/stream.js";
import type { CheckReport } from "../../packages/types.js";
import type { PackageChecker } from "../../packages/types.js";
import type { VerifyOptions } from "../config.js";
import { countReport, type MitigationMetrics } from "../metrics.js";
import { asksForList, resolveEcosystem } from "../prompt.js";
import { modelCheckOf, type VerifyAction, type VerifyData } from "../report.js";
import type { Templates } from "../templates.js";
import type { GuardPart, Mitigation, MitigationContext, MitigationRecord, MitigationVerdict, Outcome, RecordPart } from "../types.js";
import type { CheckScope } from "./check.js";
import { guard, type GuardPolicy, type GuardResult } from "./guard.js";

export interface VerifyDeps {
  checker: PackageChecker;
  options: VerifyOptions;
  templates: Templates;
  metrics: MitigationMetrics;
}

export function createVerify(deps: VerifyDeps): Mitigation {
  return {
    name: "verify",
    async wrapGenerate({ doGenerate, call, ctx }) {
      const answer = await doGenerate(call);
      const inner = (async function* () {
        yield* replayGeneration(answer.generation);
      })();
      const prefix = linePrefix(call);
      const run = guard({ inner: withPrefix(inner, prefix), scope: scopeOf(deps, ctx, call), policy: policyOf(deps.options), templates: deps.templates, onHeld: (k) => deps.metrics.heldSegments.inc({ kind: k }) });
      const { generation, result } = await drain(withoutPrefix(run, prefix));
      const changed = result.withheld.length > 0;
      const outcome = decide(deps, result, answer.records, false);
      const transformed: Generation = changed ? { ...generation, usage: answer.generation.usage, response: answer.generation.response } : answer.generation;
      return { ...outcome, ...(changed ? { transformed } : {}) };
    },
    async *wrapStream({ doStream, call, ctx }) {
      let inner: AsyncIterable<GuardPart> = doStream(call);
      if (deps.options.streamMode === "hold-all") inner = holdAll(inner);
      const records: MitigationRecord[] = [];
      const seen = tapRecords(inner, records);
      const prefix = linePrefix(call);
      const run = guard({ inner: withPrefix(seen, prefix), scope: scopeOf(deps, ctx, call), policy: policyOf(deps.options), templates: deps.templates, onHeld: (k) => deps.metrics.heldSegments.inc({ kind: k }) });
      const result = yield* withoutPrefix(run, prefix);
      if (result.holdDelayMs !== undefined) deps.metrics.streamHoldDelay.observe({ mode: "hold-code" }, result.holdDelayMs / 1000);
      return decide(deps, result, records, true);
    },
  };
}

function scopeOf(deps: VerifyDeps, ctx: MitigationContext, call: ModelCall): CheckScope {
  const tools = ctx.model.tools;
  const language = call.completion?.language;
  const fromLanguage = language === "python" || language === "requirements" ? "pypi" : language === "javascript" || language === "typescript" || language === "package_json" ? "npm" : undefined;
  return {
    checker: deps.checker,
    ecosystem: ctx.ecosystem ?? fromLanguage ?? resolveEcosystem(ctx, call),
    ...(call.completion ? { code: language ? { language } : {} } : {}),
    expectList: asksForList(call),
    timeoutMs: deps.options.checkTimeoutMs,
    signal: ctx.signal,
    lookupBudget: ctx.lookupBudget,
    ...(tools !== undefined ? { tools } : {}),
  };
}

/**
 * `repair` runs self-refine inside; what is still bad afterwards follows `repairFallback`
 * for text, and is always withheld in tool calls (an agent runs them unread). Block and
 * repair fail closed.
 */
export function policyOf(options: VerifyOptions): GuardPolicy {
  const blockUnknown = options.blockUnknown;
  if (options.policy === "annotate") return { text: "annotate", calls: "annotate", failClosed: false, blockUnknown };
  if (options.policy === "block") return { text: "block", calls: "block", failClosed: true, blockUnknown };
  return { text: options.repairFallback, calls: "block", failClosed: true, blockUnknown };
}

/** The prompt's unfinished last line, which a text completion continues (bounded: a line can be long). */
interface LinePrefix {
  text: string;
  /** Set once the guard was given it (an answer without text never is). */
  injected: boolean;
}

function linePrefix(call: ModelCall): LinePrefix {
  const prompt = call.completion?.prompt ?? "";
  return { text: prompt.slice(prompt.lastIndexOf("\n") + 1).slice(-500), injected: false };
}

/**
 * A completion continues the prompt's last line (`import ` + `fakepkg`): the guard reads
 * that line's start before the answer, so it holds and checks the whole line.
 */
async function* withPrefix(inner: AsyncIterable<GuardPart>, line: LinePrefix): AsyncGenerator<GuardPart> {
  for await (const part of inner) {
    if (line.text && !line.injected && part.type === "text-delta") {
      line.injected = true;
      yield { ...part, delta: line.text + part.delta };
    } else yield part;
  }
}

/** The guard's output without the prefix it was given (which the client already has); a notice that replaced it stays whole. */
async function* withoutPrefix(run: AsyncGenerator<GuardPart, GuardResult>, line: LinePrefix): AsyncGenerator<GuardPart, GuardResult> {
  let rest = line.text;
  let r = await run.next();
  while (!r.done) {
    const part = r.value;
    if (!rest || !line.injected || part.type !== "text-delta") yield part;
    else if (part.delta.startsWith(rest)) {
      const delta = part.delta.slice(rest.length);
      rest = "";
      if (delta) yield { ...part, delta };
    } else if (rest.startsWith(part.delta)) rest = rest.slice(part.delta.length);
    else {
      rest = "";
      yield part;
    }
    r = await run.next();
  }
  return r.value;
}

/** Runs the guard over a replayed answer and collects what it let out. */
async function drain(run: AsyncGenerator<GuardPart, GuardResult>): Promise<{ generation: Generation; result: GuardResult }> {
  const parts: GuardPart[] = [];
  let r = await run.next();
  while (!r.done) {
    parts.push(r.value);
    r = await run.next();
  }
  const { generation } = await collectStream((async function* () { yield* parts; })());
  return { generation, result: r.value };
}

async function* holdAll(inner: AsyncIterable<GuardPart>): AsyncGenerator<GuardPart> {
  const { generation, others } = await collectStream<RecordPart>(inner);
  yield* replayGeneration(generation);
  yield* others;
}

/** Copies the inner modules' records as they pass (verify reads self-refine's first-answer check). */
async function* tapRecords(inner: AsyncIterable<GuardPart>, into: MitigationRecord[]): AsyncGenerator<GuardPart> {
  for await (const part of inner) {
    if (part.type === "record") into.push(part.record);
    yield part;
  }
}

function decide(deps: VerifyDeps, result: GuardResult, inner: readonly MitigationRecord[], stream: boolean): Outcome<never> {
  const check = result.check;
  const report: CheckReport | undefined = "report" in check ? check.report : undefined;
  const error = "error" in check ? check.error : undefined;
  const modelCheck = modelCheckOf(inner);
  const blocked = result.withheld.length > 0;
  let action: VerifyAction = "annotated";
  if (blocked) action = "blocked";
  else if (modelCheck && !isClean(modelCheck) && report && isClean(report)) action = "repaired";
  const verdict: MitigationVerdict = error ? "error" : blocked ? "blocked" : report && isClean(report) ? "pass" : "flagged";
  count(deps.metrics, { report, modelCheck, blocked, stream, calls: result, checkMs: check.ms });
  const data: VerifyData = {
    policy: deps.options.policy,
    action,
    ...(report ? { check: report } : {}),
    ...(error ? { error } : {}),
    ...(result.withheld.length ? { withheld: result.withheld } : {}),
    ...(stream ? { stream: deps.options.streamMode, held_segments: result.heldPieces } : {}),
    ...(result.holdDelayMs !== undefined ? { ttft_delay_ms: Math.round(result.holdDelayMs * 100) / 100 } : {}),
  };
  return { verdict, data };
}

function isClean(r: CheckReport): boolean {
  return r.verdict === "clean" || (r.verdict as string) === "none";
}

function count(m: MitigationMetrics, a: { report: CheckReport | undefined; modelCheck: CheckReport | undefined; blocked: boolean; stream: boolean; calls: GuardResult; checkMs: number }): void {
  m.moduleLatency.observe({ module: "verify" }, a.checkMs / 1000);
  if (a.report) countReport(m, a.report);
  const s = String(a.stream);
  m.answers.inc({ verdict: a.report?.verdict ?? "unchecked", stage: "client", stream: s });
  m.answers.inc({ verdict: (a.modelCheck ?? a.report)?.verdict ?? "unchecked", stage: "model", stream: s });
  if (a.blocked) m.blocked.inc({ stream: s });
  for (const call of a.calls.calls) {
    const mine = a.report?.packages.filter((p) => p.location?.toolCallId === call.id) ?? [];
    const bad = mine.some((p) => p.verdict === "not_found" || p.risk === "high");
    const verdict = !a.report ? "unchecked" : mine.length === 0 ? "none" : bad ? "hallucination" : "clean";
    const action = a.calls.withheld.some((w) => w.toolCallId === call.id) ? "blocked" : "delivered";
    m.toolCalls.inc({ tool: m.toolLabel(call.name), verdict, action });
  }
}
