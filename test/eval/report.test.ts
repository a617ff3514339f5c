/**
 * A small run (2 profiles × 2 temperatures × 2 repeats, plus HumanEval) through a
 * scripted upstream, its report written, then opened in headless Chromium: every
 * chart must render with its bars/lines, and the tables must carry the numbers.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker } from "../../src/packages/index.js";
import { parseEvalConfig } from "../../eval/config.js";
import { nameIndex } from "../../eval/names.js";
import { writeReport } from "../../eval/report/write.js";
import { runEval } from "../../eval/runner.js";
import { startScriptedUpstream } from "../helpers/scripted-upstream.js";
import { dataEvalDir } from "../../eval/datasets.js";
import { loadHumanEval } from "../../eval/humaneval.js";

const CHROMIUM = "/usr/bin/chromium";
let dir: string;
let files: string[] = [];
let summaryJson: any;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sg-eval-report-"));
  const canon = new Map(loadHumanEval(join(dataEvalDir(), "humaneval", "HumanEval.jsonl.gz"), "python").map((t) => [t.prompt, t.canonical_solution]));
  const up = await startScriptedUpstream();
  up.setHandler((body) => {
    const sys = String(body.messages[0].content);
    const user = String(body.messages[1].content);
    const mitigated = body.model.endsWith(":strict");
    if (canon.has(user)) return { kind: "json", content: mitigated ? "    return None\n" : canon.get(user)! };
    // Unmitigated code at a high temperature installs a made-up package; the "one" prompt's list names one too.
    if (sys.includes("generates")) return { kind: "json", content: `\`\`\`bash\npip install ${!mitigated && body.temperature > 0.5 ? "zqxj-fake-alpha" : "requests"}\n\`\`\`` };
    const fake = !mitigated && /does one/i.test(user) ? ", zqxj-fake-alpha" : "";
    return { kind: "json", content: `numpy${fake}` };
  });
  writeFileSync(join(dir, "p.jsonl"), ["one", "two", "three"].map((w) => JSON.stringify({ prompt: `Generate Python code that does ${w}`, name: "numpy" })).join("\n") + "\n");
  const cfg = parseEvalConfig({
    target: { baseURL: up.baseURL, profileVia: "suffix" },
    models: ["m"],
    profiles: ["baseline", "strict"],
    temperatures: [0.2, 1.0],
    repeats: 2,
    datasets: [{ kind: "jsonl", path: join(dir, "p.jsonl"), name: "tiny" }, { kind: "humaneval", language: "python", sample: 2 }],
    out: join(dir, "run"),
  });
  const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
  try {
    await runEval(cfg, { checker });
    const index = nameIndex({ pypi: ["numpy", "requests", "zqxj-fake"], npm: [] });
    files = writeReport({ outDir: join(dir, "run"), cfg, index, meta: { title: "test report", sandbox: "bwrap", command: "slopguard eval -c x.yaml" } }).files;
  } finally {
    await checker.close();
    await up.close();
  }
  summaryJson = JSON.parse(readFileSync(files[0]!, "utf8"));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("report", () => {
  it("writes summary.json and report.md with the same numbers", () => {
    const md = readFileSync(files[1]!, "utf8");
    const strict = summaryJson.byProfile.filter((g: any) => g.profile === "strict");
    expect(strict.every((g: any) => g.rate.num === 0)).toBe(true);
    const hot = summaryJson.byProfile.find((g: any) => g.profile === "baseline" && g.temperature === 1);
    // baseline @1.0: H1 is made up in all 3 prompts × 2 repeats; H3 only for "one": 2 of (2×2 + 4×1) names.
    expect(hot.perHeuristic.h1).toMatchObject({ num: 6, den: 6 });
    expect(hot.perHeuristic.h3).toMatchObject({ num: 2, den: 8 });
    const cool = summaryJson.byProfile.find((g: any) => g.profile === "baseline" && g.temperature === 0.2);
    expect(cool.perHeuristic.h1).toMatchObject({ num: 0, den: 6 });
    expect(md).toContain("| m | baseline | 1 |");
    expect(md).toContain("HumanEval pass@1");
    expect(summaryJson.humaneval.find((h: any) => h.profile === "baseline").passAt1).toBe(1);
    expect(summaryJson.humaneval.find((h: any) => h.profile === "strict").passAt1).toBe(0);
    expect(summaryJson.persistence.length).toBe(4);
    expect(summaryJson.temperatureSweep.map((s: any) => s.profile).sort()).toEqual(["baseline", "strict"]);
  });

  // Skipped only outside CI: .ci/run installs chromium.
  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("renders every chart in headless Chromium", async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      await page.goto(pathToFileURL(files[2]!).href);
      const charts = await page.$$eval("svg.chart", (els) =>
        els.map((el) => {
          const box = el.getBoundingClientRect();
          return {
            id: el.id,
            width: box.width,
            height: box.height,
            bars: el.querySelectorAll("rect.bar").length,
            lines: el.querySelectorAll("path.line").length,
            ci: el.querySelectorAll(".ci").length,
            tallest: Math.max(0, ...[...el.querySelectorAll("rect.bar")].map((r) => r.getBoundingClientRect().height)),
          };
        }),
      );
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      expect(Object.keys(byId).sort()).toEqual(["chart-distance", "chart-paper-rate", "chart-pass1", "chart-persistence", "chart-rate", "chart-temperature"]);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(300);
        expect(c.height).toBeGreaterThan(150);
      }
      expect(byId["chart-rate"]!.bars).toBe(4); // 2 profiles × 2 temperatures, one language
      expect(byId["chart-rate"]!.ci).toBe(4);
      expect(byId["chart-rate"]!.tallest).toBeGreaterThan(10);
      expect(byId["chart-temperature"]!.lines).toBeGreaterThanOrEqual(2 + 4); // ours + the paper's models
      expect(byId["chart-persistence"]!.bars).toBeGreaterThan(4);
      expect(byId["chart-distance"]!.bars).toBeGreaterThan(2);
      expect(byId["chart-pass1"]!.bars).toBe(4); // 2 profiles × 2 temperatures
      expect(await page.locator("table").count()).toBeGreaterThanOrEqual(5);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
