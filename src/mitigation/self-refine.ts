/**
 * self-refine: the paper's loop. After each answer, find its packages and judge them
 * (the same model's self-detection, registry truth, or both), then regenerate with the
 * paper's instruction naming the invalid ones. Stops when clean, at `maxRounds`, or
 * when the client goes away; returns the answer with the fewest invalid packages,
 * ties to the latest.
 */
import pLimit from "p-limit";
import type { ChatCompletion, ChatRequest, Usage } from "../api/schema.js";
import type { CheckReport, CheckedPackage, Ecosystem, PackageChecker } from "../packages/types.js";
import type { Mitigation, MitigationContext } from "./types.js";
import type { SelfRefineOptions } from "./config.js";
import { languageWord, render, type Templates } from "./templates.js";
import type { MitigationMetrics } from "./metrics.js";
import { addUsage, asksForList, collectStream, completionText, completionToChunks, resolveEcosystem } from "./chat.js";
import { checkText, stateOf } from "./state.js";

export interface SelfRefineDeps {
  checker: PackageChecker;
  options: SelfRefineOptions;
  templates: Templates;
  metrics: MitigationMetrics;
  checkTimeoutMs: number;
}

type Generate = (params: ChatRequest) => Promise<ChatCompletion>;

interface SelfAnswer {
  package: string;
  answer: "yes" | "no" | "unclear";
  registry: CheckedPackage["verdict"];
}

interface Judged {
  report: CheckReport;
  /** Names (as written) judged invalid under the configured detection mode. */
  invalid: string[];
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
    wrapGenerate: ({ doGenerate, params, ctx }) => refine(deps, doGenerate, params, ctx),
    async *wrapStream({ doStream, params, ctx }) {
      // A regeneration cannot take back streamed tokens, so every round is collected whole.
      const generate: Generate = async (p) => (await collectStream(doStream({ ...p, stream: true }))).completion;
      const best = await refine(deps, generate, params, ctx);
      yield* completionToChunks(best, Boolean(params.stream_options?.include_usage));
    },
  };
}

async function refine(deps: SelfRefineDeps, generate: Generate, params: ChatRequest, ctx: MitigationContext): Promise<ChatCompletion> {
  const ecosystem = resolveEcosystem(ctx, params);
  const tGen0 = performance.now();
  let current = await generate(params);
  const firstCallMs = performance.now() - tGen0;
  let usage = addUsage(undefined, current.usage);
  const tokenCounter = { usage };
  let judged = await judgeAnswer(deps, generate, params, ctx, completionText(current), ecosystem, tokenCounter);
  stateOf(ctx).modelReport = judged.report;
  const candidates = [{ completion: current, invalid: judged.invalid.length, round: 0 }];
  const rounds: RoundRecord[] = [];
  const selfDetection: SelfAnswer[][] = [judged.self];
  let stoppedBy: "clean" | "limit" | "aborted" | "error" = "clean";
  let error: string | undefined;

  for (let round = 1; judged.invalid.length > 0; round++) {
    if (round > deps.options.maxRounds) { stoppedBy = "limit"; break; }
    if (ctx.signal.aborted) { stoppedBy = "aborted"; break; }
    const named = judged.invalid;
    try {
      const before = tokenCounter.usage?.total_tokens ?? 0;
      current = await generate(regenerationRequest(deps.templates, params, completionText(current), named));
      deps.metrics.regenerations.inc();
      tokenCounter.usage = addUsage(tokenCounter.usage, current.usage);
      judged = await judgeAnswer(deps, generate, params, ctx, completionText(current), ecosystem, tokenCounter);
      const names = new Set(judged.report.packages.flatMap((p) => [norm(p.name), norm(p.normalized)]));
      rounds.push({
        round,
        named,
        dropped: named.filter((n) => !names.has(norm(n))),
        invalid: judged.invalid,
        tokens: (tokenCounter.usage?.total_tokens ?? 0) - before,
      });
      selfDetection.push(judged.self);
      candidates.push({ completion: current, invalid: judged.invalid.length, round });
    } catch (err) {
      // An aborted or failed regeneration leaves the best answer so far.
      stoppedBy = ctx.signal.aborted ? "aborted" : "error";
      error = err instanceof Error ? err.message : String(err);
      break;
    }
  }

  const best = candidates.reduce((a, b) => (b.invalid <= a.invalid ? b : a));
  const addedMs = performance.now() - tGen0 - firstCallMs;
  deps.metrics.selfRefineRounds.observe({ stopped_by: stoppedBy }, rounds.length);
  deps.metrics.moduleLatency.observe({ module: "self-refine" }, addedMs / 1000);
  ctx.records.push({
    module: "self-refine",
    verdict: rounds.length === 0 ? (stoppedBy === "clean" ? "pass" : "flagged") : best.invalid === 0 ? "modified" : "flagged",
    durationMs: Math.round(addedMs * 100) / 100,
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
      tokens: tokenCounter.usage ?? null,
      ...(error ? { error } : {}),
    },
  });
  const total: Usage | undefined = tokenCounter.usage;
  return total ? { ...best.completion, usage: total } : best.completion;
}

/** Registry form for comparing names across rounds (PEP 503 folding also suits npm's lowercase). */
function norm(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The paper's two-turn form: the original conversation, the answer, then the instruction. */
export function regenerationRequest(templates: Templates, params: ChatRequest, answer: string, invalid: string[]): ChatRequest {
  const instruction =
    invalid.length === 1
      ? render(templates["selfRefine.regenerateOne"], { package: invalid[0]! })
      : render(templates["selfRefine.regenerateMany"], { packages: invalid.join(", ") });
  return { ...params, messages: [...params.messages, { role: "assistant", content: answer }, { role: "user", content: instruction }] };
}

async function judgeAnswer(
  deps: SelfRefineDeps,
  generate: Generate,
  params: ChatRequest,
  ctx: MitigationContext,
  text: string,
  ecosystem: Ecosystem | undefined,
  tokens: { usage: Usage | undefined },
): Promise<Judged> {
  const report = await checkText({ checker: deps.checker, text, ecosystem, expectList: asksForList(params), ctx, timeoutMs: deps.checkTimeoutMs });
  const pkgs = uniquePackages(report.packages.filter((p) => p.ecosystem !== "conda"));
  const mode = deps.options.detection;
  const self = mode === "registry" ? [] : await askModel(deps, generate, params, ctx, pkgs, tokens);
  const selfNo = new Set(self.filter((s) => s.answer === "no").map((s) => s.package));
  for (const s of self) {
    const disagrees = (s.answer === "no" && s.registry === "exists") || (s.answer === "yes" && s.registry === "not_found");
    if (disagrees) deps.metrics.selfDetectDisagreements.inc({ registry: s.registry });
  }
  const invalid = pkgs
    .filter((p) => {
      if (mode === "self") return selfNo.has(p.name);
      if (mode === "registry" || p.verdict !== "unknown") return p.verdict === "not_found";
      return selfNo.has(p.name); // both: the registry decides what it knows, the model the rest
    })
    .map((p) => p.name);
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

/** The paper's self-detection: ask the same model "Is {package} a valid Python package?". */
async function askModel(
  deps: SelfRefineDeps,
  generate: Generate,
  params: ChatRequest,
  ctx: MitigationContext,
  pkgs: CheckedPackage[],
  tokens: { usage: Usage | undefined },
): Promise<SelfAnswer[]> {
  const limit = pLimit(4);
  const asked = pkgs.slice(0, deps.options.detectMaxPackages);
  return Promise.all(
    asked.map((p) =>
      limit(async (): Promise<SelfAnswer> => {
        if (ctx.signal.aborted) throw new Error("client disconnected");
        const eco = p.ecosystem === "npm" ? "npm" : "pypi";
        const c = await generate({
          model: params.model,
          messages: [
            { role: "system", content: deps.templates["selfRefine.detectSystem"] },
            { role: "user", content: render(deps.templates["selfRefine.detectQuestion"], { package: p.name, language: languageWord(eco) }) },
          ],
          temperature: deps.options.detectTemperature,
          max_tokens: deps.options.detectMaxTokens,
        });
        tokens.usage = addUsage(tokens.usage, c.usage);
        return { package: p.name, answer: parseYesNo(completionText(c)), registry: p.verdict };
      }),
    ),
  );
}

export function parseYesNo(text: string): SelfAnswer["answer"] {
  const t = text.trim().toLowerCase();
  if (/^(yes|y\b|true|valid|it is|correct)/.test(t)) return "yes";
  if (/^(no|n\b|false|invalid|not)/.test(t)) return "no";
  return "unclear";
}
