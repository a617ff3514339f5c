/**
 * `check_packages`: the package checker as an MCP tool. The result is the report as
 * structured content (validated against CheckPackagesOutputSchema by the SDK on both
 * ends) and a few lines of text an agent can act on without parsing anything.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { CheckedPackage, CheckReport, PackageChecker } from "../packages/types.js";
import type { McpOutcome } from "../metrics/mcp.js";
import { toCheckInput, type CheckPackagesInput } from "./check-input.js";
import type { CheckOptions } from "../packages/lookup-budget.js";

export { CheckPackagesInputSchema } from "./check-input.js";

export const CHECK_DESCRIPTION = [
  "Check packages BEFORE you install them, add them to a manifest, or import them in code you write:",
  "LLMs (you included) often name packages that do not exist, and attackers register such names (slopsquatting).",
  "Give exactly one of: `command` (e.g. 'pip install fastapi-utils'), `manifest` + `filename`",
  "(requirements.txt, package.json, pyproject.toml, setup.py), `code` (imports are mapped to distributions,",
  "e.g. `import cv2` → opencv-python), `text` (an answer in markdown) or `packages` (bare names).",
  "Each package gets a verdict (exists / not_found / unknown), risk signals (typosquat of a popular name,",
  "newly published, unpopular, known-hallucinated name registered later, wrong ecosystem), a 'did you mean'",
  "suggestion, and advice: ok, check_first or do_not_install. Never install a do_not_install package;",
  "use the suggestion or search_packages instead. PyPI is assumed unless `ecosystem` is 'npm' or the input says otherwise.",
].join(" ");

/** Verdicts and risk kinds are open strings: the checker may learn new ones and older clients must not break. */
const RiskSchema = z.object({
  kind: z.string().describe("watchlist | typosquat | new | unpopular | cross_ecosystem"),
  detail: z.string(),
  similarTo: z.string().optional().describe("For typosquat: the popular name it resembles."),
});

const Advice = z.enum(["ok", "check_first", "do_not_install"]);
type Advice = z.infer<typeof Advice>;

const PackageSchema = z.object({
  name: z.string().describe("As written in the input (versions and extras stripped)."),
  ecosystem: z.string().describe("pypi | npm | conda"),
  verdict: z.string().describe("exists | not_found | unknown (could not be settled, e.g. an npm name outside the offline snapshot)"),
  risk: z.string().describe("none | low | medium | high"),
  advice: Advice,
  suggestion: z.string().optional().describe("Nearest popular real name ('did you mean')."),
  risks: z.array(RiskSchema),
  source: z.string().describe("Where it was found: install | import | requirements | package_json | list"),
  line: z.number().int().describe("1-based line in the input."),
  module: z.string().optional().describe("For imports: the module as imported (cv2 for opencv-python)."),
  via: z.string().describe("What settled the verdict: snapshot | registry | cache | offline"),
});

export const CheckPackagesOutputSchema = z.object({
  verdict: z.string().describe("clean | hallucination (a package does not exist) | risk (an existing package is risky)"),
  totals: z.object({
    packages: z.number().int(),
    exists: z.number().int(),
    not_found: z.number().int(),
    unknown: z.number().int(),
    risky: z.number().int(),
  }),
  packages: z.array(PackageSchema),
});
export type CheckPackagesOutput = z.infer<typeof CheckPackagesOutputSchema>;

export function adviceFor(p: Pick<CheckedPackage, "verdict" | "risk">): Advice {
  if (p.verdict === "not_found" || p.risk === "high") return "do_not_install";
  if (p.verdict === "unknown" || p.risk === "medium") return "check_first";
  return "ok";
}

function toOutput(report: CheckReport, lineOffset: number): CheckPackagesOutput {
  const t = report.totals;
  return {
    verdict: report.verdict,
    totals: { packages: t.packages, exists: t.exists, not_found: t.not_found, unknown: t.unknown, risky: t.risky },
    packages: report.packages.map((p) => ({
      name: p.name,
      ecosystem: p.ecosystem,
      verdict: p.verdict,
      risk: p.risk,
      advice: adviceFor(p),
      ...(p.suggestion ? { suggestion: p.suggestion } : {}),
      risks: p.risks.map((r) => ({ kind: r.kind, detail: r.detail, ...(r.similarTo ? { similarTo: r.similarTo } : {}) })),
      source: p.source,
      line: Math.max(1, p.line - lineOffset),
      ...(p.module ? { module: p.module } : {}),
      via: p.via,
    })),
  };
}

function packageLine(p: CheckPackagesOutput["packages"][number]): string {
  const where = `${p.name} (${p.ecosystem}, ${p.source} line ${p.line})`;
  const risks = p.risks.map((r) => `${r.kind}: ${r.detail}`).join("; ");
  const hint = p.suggestion && p.suggestion !== p.name ? ` Did you mean '${p.suggestion}'?` : "";
  if (p.verdict === "not_found") return `- ${where}: NOT FOUND on ${p.ecosystem}. Do not install it.${hint}${risks ? ` (${risks})` : ""}`;
  if (p.verdict === "unknown") return `- ${where}: could not be verified (${p.via}). Check it before installing.${hint}`;
  if (p.advice === "ok") return `- ${where}: ${p.verdict}${risks ? ` (${risks})` : ""}`;
  const what = p.advice === "do_not_install" ? "Do not install it" : "Check it before installing";
  return `- ${where}: ${p.verdict} but ${p.risk} risk: ${risks}. ${what}.${hint}`;
}

export function formatCheck(out: CheckPackagesOutput, source: string): string {
  const t = out.totals;
  if (t.packages === 0) {
    return `No packages found in the ${source}. Pass names in \`packages\`, an install command in \`command\`, or a manifest with its \`filename\`.`;
  }
  const head =
    out.verdict === "hallucination"
      ? `hallucination: ${t.not_found} of ${t.packages} package(s) do not exist.`
      : out.verdict === "risk"
        ? `risk: ${t.risky} of ${t.packages} package(s) exist but look risky.`
        : t.unknown
          ? `unverified: ${t.exists} of ${t.packages} package(s) exist, ${t.unknown} could not be verified.`
          : `clean: all ${t.packages} package(s) exist.`;
  return [head, ...out.packages.map(packageLine)].join("\n");
}

export interface ToolAnswer {
  result: CallToolResult;
  outcome: McpOutcome;
}

/** Metric labels stay within McpOutcome even if the checker learns new verdicts. */
function outcomeOf(verdict: string): McpOutcome {
  return verdict === "clean" || verdict === "hallucination" || verdict === "risk" ? verdict : "ok";
}

export async function checkPackages(checker: PackageChecker, args: CheckPackagesInput, options: CheckOptions = {}): Promise<ToolAnswer> {
  const { input, lineOffset, source } = toCheckInput(args);
  const report = await checker.check(input, options);
  const out = toOutput(report, lineOffset);
  return {
    result: { content: [{ type: "text", text: formatCheck(out, source) }], structuredContent: out },
    outcome: outcomeOf(report.verdict),
  };
}
