/**
 * The package-intelligence contract that the gateway, the mitigations, the eval
 * module and the fine-tuning data builder all call. Implemented in src/packages/.
 */
import type { CheckOptions } from "./lookup-budget.js";
import type { ToolSpecsInput } from "./toolcalls/config.js";

export type Ecosystem = "pypi" | "npm";
/** conda is kept apart: it is not checked against PyPI or npm. */
export type PackageEcosystem = Ecosystem | "conda";

export type PackageSource = "install" | "import" | "requirements" | "package_json" | "list";
/** allowed: on the config's allowlist (a private package): never flagged, never sent to a registry. */
export type Verdict = "exists" | "not_found" | "unknown" | "allowed";

export type RiskKind = "watchlist" | "typosquat" | "new" | "unpopular" | "cross_ecosystem";

export interface RiskSignal {
  kind: RiskKind;
  /** Human-readable reason, e.g. "within 1 edit of 'requests' (rank 3)". */
  detail: string;
  /** For typosquat: the popular name it resembles. */
  similarTo?: string;
}

/** Where in an agent's tool call a package was found. */
export interface ToolCallLocation {
  toolCallId: string;
  tool: string;
  /** Argument path: `command`, `command[2]`, `edits[0].new_string`, `content`; `input` for raw or malformed input. */
  path: string;
}

export interface FoundPackage {
  /** Name as written in the answer (after stripping versions and extras). */
  name: string;
  /** packageKey(ecosystem, name): PEP 503 for PyPI, the name as written for npm. */
  normalized: string;
  ecosystem: PackageEcosystem;
  source: PackageSource;
  /** 1-based line in the checked text (in a tool call: in the scanned argument string). */
  line: number;
  /** For imports: the module as imported (e.g. `cv2` for opencv-python). */
  module?: string;
  /** Set for packages found in a tool call; absent for packages found in text. */
  location?: ToolCallLocation;
}

export interface CheckedPackage extends FoundPackage {
  verdict: Verdict;
  /**
   * How the verdict was reached: snapshot, live registry, cache, offline, the allowlist,
   * or `limit` (not looked up: the check's lookup or package cap was reached; verdict unknown).
   */
  via: "snapshot" | "registry" | "cache" | "offline" | "allowlist" | "limit";
  risks: RiskSignal[];
  /** Nearest valid popular name ("did you mean"). */
  suggestion?: string;
  /** Highest risk on this package; "high" for not_found and watchlist hits. */
  risk: "none" | "low" | "medium" | "high";
  /** What the live registry said about an existing package (absent for snapshot verdicts). */
  registry?: { firstPublished?: string; latestVersion?: string; repository?: string };
}

export interface CheckInput {
  /** Markdown or plain text (an LLM answer). */
  text?: string;
  /** Raw code without markdown. */
  code?: string;
  /** Names to check directly (e.g. a comma-separated package list already split). */
  packages?: string[];
  ecosystem?: Ecosystem;
  /** "python" | "javascript" | "typescript" | "requirements" | "package_json"; picks the extractor for bare code. */
  language?: string;
  /**
   * The prompt asked for a list of packages ("Which Python packages would be useful…"),
   * so a bare one-name answer is a package too. Without it a bare list needs ≥ 2 names.
   */
  expectList?: boolean;
  /** The answer's tool calls; every package found in one carries its `location`. */
  toolCalls?: ToolCallInput[];
  /** Per-model tool specs, merged over the shipped defaults (ToolSpecsSchema). */
  tools?: ToolSpecsInput;
}

export interface ToolCallInput {
  id: string;
  name: string;
  /** Arguments as the model produced them: JSON (possibly malformed or cut off) or free text (custom tools). */
  input: string;
}

export interface CheckReport {
  packages: CheckedPackage[];
  totals: {
    packages: number;
    exists: number;
    not_found: number;
    unknown: number;
    risky: number;
    allowed: number;
  };
  /**
   * none: the answer names no package; hallucination: ≥1 not_found; risk: ≥1 risky existing
   * package; clean: otherwise (every package exists, is allowed or is unknown).
   */
  verdict: "none" | "clean" | "hallucination" | "risk";
  /** Some package was not looked up because a per-check cap was reached (its via is `limit`). */
  incomplete?: boolean;
  durationMs: number;
}

export interface PackageChecker {
  check(input: CheckInput, options?: CheckOptions): Promise<CheckReport>;
}
