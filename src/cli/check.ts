/**
 * `slopguard check [file|-]`: the package checker for pre-commit hooks and CI.
 * Exit 1 when a package is hallucinated (always high) or at least `--fail-on` risk
 * (default medium: typosquat, new, watchlist), 0 otherwise, 2 on usage errors.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig } from "../config/load.js";
import { createPackageChecker } from "../packages/index.js";
import type { CheckedPackage, CheckReport, Ecosystem } from "../packages/types.js";

interface CheckOptions {
  ecosystem?: Ecosystem;
  language?: string;
  json?: boolean;
  offline?: boolean;
  config?: string;
  npmRegistry?: string;
  pypiIndex?: string;
  watchlist?: string;
  failOn: string;
}

const LEVELS = ["none", "low", "medium", "high"] as const;

async function readInput(file: string | undefined): Promise<string> {
  if (file && file !== "-") return readFileSync(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const MARK: Record<CheckedPackage["verdict"], string> = { exists: "ok", not_found: "NOT FOUND", unknown: "unknown", allowed: "allowed" };

export function formatReport(report: CheckReport): string {
  const rows = report.packages.map((p) => {
    const head = `${p.risk === "none" || p.risk === "low" ? " " : "!"} ${p.name.padEnd(28)} ${p.ecosystem.padEnd(5)} ${`${p.source}:${p.line}`.padEnd(16)} ${MARK[p.verdict]} (${p.via})`;
    const extra = [...p.risks.map((r) => `${r.kind}: ${r.detail}`), ...(p.suggestion && p.verdict !== "exists" ? [`did you mean '${p.suggestion}'?`] : [])];
    return [head, ...extra.map((e) => `      ${e}`)].join("\n");
  });
  const t = report.totals;
  rows.push(`${t.packages} packages: ${t.exists} exist, ${t.not_found} not found, ${t.unknown} unknown, ${t.risky} risky → ${report.verdict}`);
  return rows.join("\n");
}

function packagesConfig(o: CheckOptions): Record<string, unknown> {
  const base = o.config ? (loadConfig({ path: o.config }).packages as Record<string, unknown>) : {};
  const registries = (base.registries ?? {}) as Record<string, Record<string, unknown>>;
  return {
    ...base,
    ...(o.offline ? { mode: "offline" } : {}),
    registries: {
      npm: { ...registries.npm, ...(o.npmRegistry ? { url: o.npmRegistry } : {}) },
      pypi: { ...registries.pypi, ...(o.pypiIndex ? { indexUrl: o.pypiIndex } : {}) },
    },
    ...(o.watchlist ? { watchlistPath: o.watchlist } : {}),
  };
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("Check the packages an answer or code file asks to install (exit 1 on hallucinated or risky ones)")
    .argument("[file]", "markdown or code file; - or nothing reads stdin")
    .option("-e, --ecosystem <ecosystem>", "pypi or npm: how to read bare package names and ambiguous code")
    .option("-l, --language <language>", "python, javascript or typescript, for a bare code file")
    .option("--json", "print the full report as JSON")
    .option("--offline", "never ask a registry (npm names missing from the snapshot stay unknown)")
    .option("-c, --config <file>", "gateway config file whose `packages` section to use")
    .option("--npm-registry <url>", "npm registry base URL (default: config, then `npm config get registry`)")
    .option("--pypi-index <url>", "PyPI simple index URL (default: config, then PIP_INDEX_URL / pip config)")
    .option("--watchlist <dir>", "LMDB watchlist folder (default: in memory unless the config file sets one)")
    .option("--fail-on <risk>", "lowest package risk that makes the exit status 1: low, medium or high", "medium")
    .action(async (file: string | undefined, o: CheckOptions) => {
      if (o.ecosystem && o.ecosystem !== "pypi" && o.ecosystem !== "npm") {
        console.error(`error: --ecosystem must be pypi or npm, not '${o.ecosystem}'`);
        process.exit(2);
      }
      const failAt = LEVELS.indexOf(o.failOn as (typeof LEVELS)[number]);
      if (failAt < 1) {
        console.error(`error: --fail-on must be low, medium or high, not '${o.failOn}'`);
        process.exit(2);
      }
      const text = await readInput(file);
      const language = o.language ?? (file && /\.py$/.test(file) ? "python" : file && /\.[cm]?[jt]sx?$/.test(file) ? "javascript" : undefined);
      const isCode = language !== undefined && !(file && /\.(md|markdown|txt)$/i.test(file));
      const checker = createPackageChecker({ config: packagesConfig(o), ...(o.config || o.watchlist ? {} : { watchlist: "memory" as const }) });
      try {
        const report = await checker.check({ ...(isCode ? { code: text, language } : { text }), ...(o.ecosystem ? { ecosystem: o.ecosystem } : {}) });
        console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
        process.exitCode = report.packages.some((p) => LEVELS.indexOf(p.risk) >= failAt) ? 1 : 0;
      } finally {
        await checker.close();
      }
    });
}
