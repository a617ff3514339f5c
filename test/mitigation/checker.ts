/** Temporary stand-in until src/packages exports createPackageChecker. */
import type { CheckedPackage, CheckReport, PackageChecker } from "../../src/packages/types.js";

const REAL = new Set(["requests", "numpy", "pandas", "flask", "click"]);

export async function makeChecker(): Promise<PackageChecker> {
  return {
    async check(input) {
      const text = input.text ?? "";
      const pkgs: CheckedPackage[] = [];
      text.split("\n").forEach((line, i) => {
        const m = /pip install (.+)/.exec(line);
        if (!m) return;
        for (const name of m[1]!.trim().split(/\s+/)) {
          const exists = REAL.has(name);
          pkgs.push({ name, normalized: name, ecosystem: "pypi", source: "install", line: i + 1, verdict: exists ? "exists" : "not_found", via: "snapshot", risks: [], risk: exists ? "none" : "high" });
        }
      });
      const nf = pkgs.filter((p) => p.verdict === "not_found").length;
      const report: CheckReport = {
        packages: pkgs,
        totals: { packages: pkgs.length, exists: pkgs.length - nf, not_found: nf, unknown: 0, risky: 0 },
        verdict: nf ? "hallucination" : "clean",
        durationMs: 0,
      };
      return report;
    },
  };
}
