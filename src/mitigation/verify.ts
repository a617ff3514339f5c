/**
 * verify: always on. Checks the final answer's packages and annotates, blocks, or
 * (with `repair`) reports on what self-refine produced. Streams are never passed
 * through unchecked: code blocks and install commands are held until checked (or the
 * whole answer, for block/repair), and the stream always ends with a chunk whose
 * `slopguard` field carries the report.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../api/schema.js";
import type { CheckReport, PackageChecker } from "../packages/types.js";
import type { Mitigation, MitigationContext, MitigationOutcome } from "./types.js";
import type { VerifyOptions } from "./config.js";
import type { Templates } from "./templates.js";
import { render } from "./templates.js";
import type { MitigationMetrics } from "./metrics.js";
import { countReport } from "./metrics.js";
import { asksForList, chunkOf, collectStream, completionText, completionToChunks, resolveEcosystem, withContent } from "./chat.js";
import { badPackages, checkText, stateOf } from "./state.js";
import { buildReport, describeBad, reportHeaders, type SlopguardReport, type VerifyAction } from "./report.js";
import { CodeHoldSegmenter, type Piece } from "./stream-guard.js";

export interface VerifyDeps {
  checker: PackageChecker;
  options: VerifyOptions;
  templates: Templates;
  metrics: MitigationMetrics;
}

interface Judgement {
  report?: CheckReport;
  error?: string;
  checkMs: number;
}

export function createVerify(deps: VerifyDeps): Mitigation {
  return {
    name: "verify",
    async wrapGenerate({ doGenerate, params, ctx }) {
      const completion = await doGenerate(params);
      const judged = await judge(deps, ctx, params, completionText(completion));
      const { final, slopguard } = decide(deps, ctx, judged, completion, false);
      Object.assign(ctx.responseHeaders, reportHeaders(slopguard));
      return { ...final, slopguard };
    },
    wrapStream({ doStream, params, ctx }) {
      const holdAll = deps.options.policy !== "annotate" || deps.options.streamMode === "hold-all";
      return holdAll ? streamHoldAll(deps, doStream(params), params, ctx) : streamHoldCode(deps, doStream(params), params, ctx);
    },
  };
}

async function judge(deps: VerifyDeps, ctx: MitigationContext, params: ChatRequest, text: string): Promise<Judgement> {
  const t0 = performance.now();
  try {
    const report = await checkText({
      checker: deps.checker, text, ecosystem: resolveEcosystem(ctx, params), expectList: asksForList(params), ctx, timeoutMs: deps.options.checkTimeoutMs,
    });
    return { report, checkMs: performance.now() - t0 };
  } catch (err) {
    // Fail open with an explicit "unchecked" verdict: a checker outage must not take the gateway down.
    return { error: err instanceof Error ? err.message : String(err), checkMs: performance.now() - t0 };
  }
}

function shouldBlock(deps: VerifyDeps, report: CheckReport | undefined): boolean {
  if (!report || badPackages(report).length === 0) return false;
  const { policy, repairFallback } = deps.options;
  return policy === "block" || (policy === "repair" && repairFallback === "block");
}

/** Applies the policy to a finished answer, records it and counts it. */
function decide(deps: VerifyDeps, ctx: MitigationContext, judged: Judgement, completion: ChatCompletion, stream: boolean, extra: Record<string, unknown> = {}) {
  const { report } = judged;
  const modelReport = stateOf(ctx).modelReport;
  const blocked = shouldBlock(deps, report);
  let action: VerifyAction = "annotated";
  if (blocked) action = "blocked";
  else if (modelReport && modelReport.verdict !== "clean" && report?.verdict === "clean") action = "repaired";
  const final = blocked
    ? withContent(completion, render(deps.templates["verify.blocked"], { packages: describeBad(badPackages(report!)) }), "content_filter")
    : completion;
  const outcome: MitigationOutcome = judged.error ? "error" : blocked ? "blocked" : report?.verdict === "clean" ? "pass" : "flagged";
  ctx.records.push({
    module: "verify",
    verdict: outcome,
    durationMs: round(judged.checkMs),
    data: { policy: deps.options.policy, action, ...(judged.error ? { error: judged.error } : {}), ...extra },
  });
  const m = deps.metrics;
  m.moduleLatency.observe({ module: "verify" }, judged.checkMs / 1000);
  if (report) countReport(m, report);
  const s = String(stream);
  m.answers.inc({ verdict: report?.verdict ?? "unchecked", stage: "client", stream: s });
  m.answers.inc({ verdict: (modelReport ?? report)?.verdict ?? "unchecked", stage: "model", stream: s });
  if (blocked) m.blocked.inc({ stream: s });
  const slopguard: SlopguardReport = buildReport({ ctx, policy: deps.options.policy, report, modelReport, action, ...(judged.error ? { error: judged.error } : {}) });
  return { final, slopguard };
}

function finalChunk(base: { id: string; created: number; model: string }, slopguard: SlopguardReport): ChatCompletionChunk {
  // Empty `choices`, like the usage chunk: OpenAI clients accumulate nothing from it and keep the extra field.
  return { ...chunkOf(base, {}), choices: [], slopguard };
}

async function* streamHoldAll(deps: VerifyDeps, inner: AsyncIterable<ChatCompletionChunk>, params: ChatRequest, ctx: MitigationContext): AsyncGenerator<ChatCompletionChunk> {
  const t0 = performance.now();
  let firstIn: number | undefined;
  const { completion, chunks } = await collectStream(tap(inner, () => (firstIn ??= performance.now())));
  const judged = await judge(deps, ctx, params, completionText(completion));
  const { final, slopguard } = decide(deps, ctx, judged, completion, true, { stream: "hold-all" });
  deps.metrics.streamHoldDelay.observe({ mode: "hold-all" }, (performance.now() - (firstIn ?? t0)) / 1000);
  if (slopguard.action === "blocked") yield* completionToChunks(final, Boolean(params.stream_options?.include_usage));
  else yield* chunks;
  yield finalChunk(completion, slopguard);
}

/** Calls `onContent` when the first chunk with content arrives, passing every chunk on. */
async function* tap(inner: AsyncIterable<ChatCompletionChunk>, onContent: () => void): AsyncGenerator<ChatCompletionChunk> {
  for await (const c of inner) {
    if (c.choices[0]?.delta.content) onContent();
    yield c;
  }
}

async function* streamHoldCode(deps: VerifyDeps, inner: AsyncIterable<ChatCompletionChunk>, params: ChatRequest, ctx: MitigationContext): AsyncGenerator<ChatCompletionChunk> {
  const seg = new CodeHoldSegmenter();
  const ecosystem = resolveEcosystem(ctx, params);
  let text = "";
  let base: ChatCompletionChunk | undefined;
  let firstIn: number | undefined;
  let firstOut: number | undefined;
  let held = 0;
  let segmentCheckMs = 0;
  let usage: ChatCompletionChunk["usage"];

  // Held segments are checked before release; under `annotate` they go out unchanged.
  const release = async function* (pieces: Piece[], template: ChatCompletionChunk): AsyncGenerator<ChatCompletionChunk> {
    for (const piece of pieces) {
      if (piece.kind === "held") {
        held++;
        deps.metrics.heldSegments.inc({ kind: piece.segment });
        const t = performance.now();
        await deps.checker.check({ text: piece.text, ...(ecosystem ? { ecosystem } : {}) }, { signal: ctx.signal }).catch(() => undefined);
        segmentCheckMs += performance.now() - t;
      }
      if (!piece.text) continue;
      firstOut ??= performance.now();
      yield chunkOf(template, { content: piece.text });
    }
  };

  for await (const chunk of inner) {
    base ??= chunk;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    const content = choice?.delta.content;
    if (content) {
      firstIn ??= performance.now();
      text += content;
      if (choice.delta.role) yield chunkOf(chunk, { role: choice.delta.role });
      yield* release(seg.push(content), chunk);
    }
    const ends = choice?.finish_reason != null || chunk.choices.length === 0;
    if (ends) yield* release(seg.end(), chunk);
    if (!content) yield chunk;
    else if (choice.finish_reason != null || choice.delta.tool_calls || chunk.usage) {
      // The content went out piecewise above; pass on the rest of this chunk.
      const { content: _c, role: _r, ...delta } = choice.delta;
      yield { ...chunk, choices: [{ ...choice, delta }] };
    }
  }
  yield* release(seg.end(), base ?? chunkOf({ id: "chatcmpl-slopguard", created: 0, model: params.model }, {}));
  if (firstIn !== undefined) deps.metrics.streamHoldDelay.observe({ mode: "hold-code" }, ((firstOut ?? performance.now()) - firstIn) / 1000);

  const completion = withContent(
    { id: base?.id ?? "chatcmpl-slopguard", object: "chat.completion", created: base?.created ?? 0, model: base?.model ?? params.model, choices: [], ...(usage ? { usage } : {}) },
    text,
  );
  const judged = await judge(deps, ctx, params, text);
  judged.checkMs += segmentCheckMs;
  const { slopguard } = decide(deps, ctx, judged, completion, true, {
    stream: "hold-code",
    held_segments: held,
    ttft_delay_ms: firstIn !== undefined && firstOut !== undefined ? round(firstOut - firstIn) : null,
  });
  yield finalChunk(completion, slopguard);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
