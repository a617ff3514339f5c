/**
 * The package-intelligence contract that the gateway, the mitigations, the eval
 * module and the fine-tuning data builder all call. Implemented in src/packages/.
 */
export type Ecosystem = "pypi" | "npm";
/** conda is kept apart: it is not checked against PyPI or npm. */
export type PackageEcosystem = Ecosystem | "conda";

export type PackageSource = "install" | "import" | "requirements" | "package_json" | "list";
export type Verdict = "exists" | "not_found" | "unknown";

export type RiskKind = "watchlist" | "typosquat" | "new" | "unpopular" | "cross_ecosystem";

export interface RiskSignal {
  kind: RiskKind;
  /** Human-readable reason, e.g. "within 1 edit of 'requests' (rank 3)". */
  detail: string;
  /** For typosquat: the popular name it resembles. */
  similarTo?: string;
}

export interface FoundPackage {
  /** Name as written in the answer (after stripping versions and extras). */
  name: string;
  /** Registry identity: PEP 503-normalised for PyPI, lowercased npm name. */
  normalized: string;
  ecosystem: PackageEcosystem;
  source: PackageSource;
  /** 1-based line in the checked text. */
  line: number;
  /** For imports: the module as imported (e.g. `cv2` for opencv-python). */
  module?: string;
  /** Where in a tool call it was found (absent for packages found in text). */
  location?: { toolCallId: string; tool: string; path: string };
}

/** A tool call as the model wrote it: `input` is the raw argument text (JSON or free text). */
export interface ToolCallInput {
  id: string;
  name: string;
  input: string;
}

export interface CheckedPackage extends FoundPackage {
  verdict: Verdict;
  /** How the verdict was reached: snapshot, live registry, cache, or offline. */
  via: "snapshot" | "registry" | "cache" | "offline";
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
  /** Tool calls of the answer: shell commands, file writes and patches are inspected for installs. */
  toolCalls?: ToolCallInput[];
  /** Names to check directly (e.g. a comma-separated package list already split). */
  packages?: string[];
  ecosystem?: Ecosystem;
  /** "python" | "javascript" | "typescript"; picks the extractor for bare code. */
  language?: string;
  /**
   * The prompt asked for a list of packages ("Which Python packages would be useful…"),
   * so a bare one-name answer is a package too. Without it a bare list needs ≥ 2 names.
   */
  expectList?: boolean;
}

export interface CheckReport {
  packages: CheckedPackage[];
  totals: {
    packages: number;
    exists: number;
    not_found: number;
    unknown: number;
    risky: number;
  };
  /** clean: all exist and none risky; hallucination: ≥1 not_found; risk: ≥1 risky existing package. */
  verdict: "clean" | "hallucination" | "risk";
  durationMs: number;
}

export interface PackageChecker {
  check(input: CheckInput, options?: { signal?: AbortSignal }): Promise<CheckReport>;
}
