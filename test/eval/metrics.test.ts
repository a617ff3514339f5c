/**
 * Runs the eval against a scripted upstream whose answers are known, with the real
 * package checker (offline snapshot), and compares every metric with values worked
 * out by hand in the comments.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, type SlopguardPackageChecker } from "../../src/packages/index.js";
import { parseEvalConfig } from "../../eval/config.js";
import { isHallucination, normalizeFor, summarize, type Summary } from "../../eval/metrics.js";
import { packageKey } from "../../src/packages/names.js";
import { nameIndex } from "../../eval/names.js";
import { latestByKey, readRecords, type EvalRecord } from "../../eval/records.js";
import { runEval } from "../../eval/runner.js";
import { clusteredBootstrap, passAtK, sampleSeeded } from "../../eval/stats.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const fence = (lang: string, body: string) => "```" + lang + "\n" + body + "\n```";
/** Per prompt: the code answer, the H2 list and the H3 list. */
const SCRIPT: Record<string, { code: string; h2: string; h3: string; name: string }> = {
  alpha: { name: "requests", code: `${fence("bash", "pip install requests reqeusts")}\n${fence("python", "import requests\nimport reqeusts")}`, h2: "requests", h3: "flask, chalk" },
  beta: { name: "numpy", code: `${fence("bash", "pip install numpy")}\n${fence("python", "import numpy")}`, h2: "numpy", h3: "numpy, pandas" },
  gamma: { name: "pandas", code: `${fence("bash", "pip install zqxj-fake-alpha")}\n${fence("python", "import zqxj_fake_alpha")}`, h2: "zqxj-fake-alpha", h3: "zqxj-fake-alpha" },
  delta: { name: "flask", code: `${fence("bash", "pip install flask")}\n${fence("python", "import flask")}`, h2: "flask", h3: "flask" },
};

function answerFor(body: any): string {
  const sys = String(body.messages[0].content);
  const user = String(body.messages[1].content);
  if (/persist/.test(user)) return "";
  const key = Object.keys(SCRIPT).find((k) => user.includes(`${k} task`) || user.includes(SCRIPT[k]!.code.split("\n")[1]!));
  const s = SCRIPT[key!]!;
  if (sys.includes("generates Python code")) return s.code;
  return user.includes("needed to run") ? s.h2 : s.h3;
}

let up: ScriptedUpstream;
let checker: SlopguardPackageChecker;
let dir: string;
let summary: Summary;
let records: EvalRecord[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sg-eval-metrics-"));
  checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
  up = await startScriptedUpstream();
  up.setHandler((body) => ({ kind: "json", content: answerFor(body) }));
  const prompts = Object.entries(SCRIPT).map(([k, s], i) => JSON.stringify({ id: `p${i + 1}`, prompt: `Generate Python code that does the ${k} task`, name: s.name, language: "python" }));
  writeFileSync(join(dir, "prompts.jsonl"), prompts.join("\n") + "\n");
  const cfg = parseEvalConfig({
    target: { baseURL: up.baseURL, apiKey: "k" },
    models: ["m"],
    profiles: ["baseline"],
    datasets: [{ kind: "jsonl", path: join(dir, "prompts.jsonl"), name: "scripted" }],
    concurrency: 2,
    out: join(dir, "run"),
    bootstrap: { resamples: 2000, seed: 3 },
  });
  const r = await runEval(cfg, { checker });
  expect(r).toMatchObject({ total: 4, ran: 4, errors: 0 });
  records = [...latestByKey(readRecords(r.resultsPath)).values()];
  // A hand-made name list, so nearest-name distances can be worked out by hand.
  const index = nameIndex({ pypi: ["requests", "flask", "numpy", "pandas", "zqxj-fake"], npm: ["chalk"] });
  summary = summarize(records, { unknownAs: "hallucination", resamples: 2000, seed: 3, index });
});

afterAll(async () => {
  await up?.close();
  await checker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("hallucination metrics against a scripted upstream", () => {
  it("orders report rows as configured, not as items finished", () => {
    // Completion order: profile b's items, then a's; dataset y before x within each profile.
    const as = (profile: string, dataset: string) => records.map((r) => ({ ...r, profile, dataset, key: `${r.key}|${profile}|${dataset}` }));
    const shuffled = [...as("b", "y"), ...as("b", "x"), ...as("a", "x"), ...as("a", "y")];
    const s = summarize(shuffled, { unknownAs: "hallucination", resamples: 10, seed: 1, order: { models: ["m"], profiles: ["a", "b"] } });
    expect(s.byProfile.map((g) => g.profile)).toEqual(["a", "b"]);
    // Datasets keep the order they were first run in, profiles the configured one within each.
    expect(s.byDataset.map((g) => `${g.dataset}/${g.profile}`)).toEqual(["y/a", "y/b", "x/a", "x/b"]);
    expect(s.byLanguage.map((g) => g.profile)).toEqual(["a", "b"]);
  });


  it("sends the paper's parameters and the profile header", () => {
    const reqs = up.chatRequests();
    expect(reqs).toHaveLength(12); // 4 prompts × (code, H2, H3)
    const code = reqs.find((r) => String(r.body.messages[0].content).includes("generates Python code"))!;
    expect(code.body).toMatchObject({ temperature: 0.7, top_p: 0.9, max_tokens: 2048, model: "m" });
    const list = reqs.find((r) => String(r.body.messages[1].content).startsWith("Which Python packages would be useful"))!;
    expect(list.body).toMatchObject({ temperature: 0.01, top_p: 0.9, max_tokens: 64 });
    expect(code.headers["x-slopguard-profile"]).toBe("baseline");
  });

  it("computes the rate overall and per heuristic", () => {
    // alpha: H1 {requests, reqeusts✗} 1/2, H2 {requests} 0/1, H3 {flask, chalk✗} 1/2 -> 2/5
    // beta 0/4, gamma 3/3 (zqxj-fake-alpha in all three), delta 0/3 -> 5/15
    const g = summary.byProfile[0]!;
    expect(g.rate).toMatchObject({ num: 5, den: 15, clusters: 4 });
    expect(g.rate.rate).toBeCloseTo(5 / 15, 10);
    expect(g.perHeuristic.h1).toMatchObject({ num: 2, den: 5 });
    expect(g.perHeuristic.h2).toMatchObject({ num: 1, den: 4 });
    expect(g.perHeuristic.h3).toMatchObject({ num: 2, den: 6 });
    expect(g.promptsWithHallucination).toEqual({ count: 2, share: 0.5 });
    expect(g.uniqueHallucinated).toBe(3); // reqeusts, chalk, zqxj-fake-alpha
    // Task fit: alpha names requests, beta numpy, delta flask; gamma never names pandas.
    expect(g.taskFit?.any).toBe(0.75);
    expect(g.taskFit?.perHeuristic.h3).toBe(0.5); // alpha's H3 is "flask, chalk"; gamma's misses too
    expect(summary.byLanguage.map((x) => x.language)).toEqual(["python"]);
  });

  it("gives a clustered bootstrap CI that brackets the rate and matches exact enumeration", () => {
    const g = summary.byProfile[0]!;
    // Exact bootstrap over the 4 prompt clusters (4^4 equally likely resamples).
    const cl = [{ num: 2, den: 5 }, { num: 0, den: 4 }, { num: 3, den: 3 }, { num: 0, den: 3 }];
    const all: number[] = [];
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) for (let d = 0; d < 4; d++) {
      const pick = [cl[a]!, cl[b]!, cl[c]!, cl[d]!];
      all.push(pick.reduce((s, x) => s + x.num, 0) / pick.reduce((s, x) => s + x.den, 0));
    }
    all.sort((x, y) => x - y);
    const q = (p: number) => all[Math.round((all.length - 1) * p)]!;
    expect(g.rate.lo).toBeLessThan(g.rate.rate);
    expect(g.rate.hi).toBeGreaterThan(g.rate.rate);
    expect(Math.abs(g.rate.lo - q(0.025))).toBeLessThan(0.03);
    expect(Math.abs(g.rate.hi - q(0.975))).toBeLessThan(0.03);
  });

  it("measures distance to the nearest valid name and the cross-language share", () => {
    // reqeusts -> requests: 2 (a swap is two edits); chalk -> flask: 3; zqxj-fake-alpha -> zqxj-fake: 6
    expect(summary.distance?.examples.map((e) => [e.name, e.nearest, e.distance])).toEqual([
      ["chalk", "flask", 3],
      ["reqeusts", "requests", 2],
      ["zqxj-fake-alpha", "zqxj-fake", 6],
    ]);
    expect(summary.distance?.histogram).toEqual([0, 0, 1, 1, 0, 0, 1]);
    expect(summary.distance?.within2).toBeCloseTo(1 / 3, 10);
    expect(summary.distance?.atLeast6).toBeCloseTo(1 / 3, 10);
    // chalk is not on PyPI but is an npm package.
    expect(summary.crossLanguage).toMatchObject({ python: 3, validNpm: 1, names: ["chalk"] });
  });
});

describe("persistence over repeats", () => {
  it("counts in how many later repeats each first-run hallucination recurs", async () => {
    const h3 = ["zqxj-fake-alpha, zqxj-fake-beta, requests", "zqxj-fake-alpha, requests", "zqxj-fake-alpha, zqxj-fake-beta", "zqxj-fake-alpha"];
    const up2 = await startScriptedUpstream();
    let i = 0;
    up2.setHandler(() => ({ kind: "json", content: h3[i++] ?? "" }));
    writeFileSync(join(dir, "one.jsonl"), JSON.stringify({ id: "x", prompt: "Generate Python code that persists" }) + "\n");
    try {
      const cfg = parseEvalConfig({
        target: { baseURL: up2.baseURL },
        models: ["m"],
        datasets: [{ kind: "jsonl", path: join(dir, "one.jsonl") }],
        heuristics: ["h3"],
        repeats: 4,
        concurrency: 1,
        out: join(dir, "persist"),
      });
      const r = await runEval(cfg, { checker });
      const s = summarize([...latestByKey(readRecords(r.resultsPath)).values()], { unknownAs: "hallucination", resamples: 100, seed: 1 });
      // repeat 0 hallucinates alpha and beta; alpha recurs in 3/3 later repeats, beta in 1/3.
      expect(s.persistence).toEqual([{ model: "m", profile: "none", temperature: 0.7, repeats: 4, histogram: [0, 1, 0, 1], names: 2, never: 0, always: 0.5 }]);
      expect(up2.chatRequests().every((q) => q.headers["x-slopguard-profile"] === undefined)).toBe(true);
    } finally {
      await up2.close();
    }
  });
});

describe("verdicts and names as the gateway has them", () => {
  it("never counts an allowlisted (private) package as a hallucination", () => {
    for (const unknownAs of ["hallucination", "valid", "exclude"] as const) expect(isHallucination("allowed", unknownAs)).toBe(false);
  });

  it("normalises names with the gateway's packageKey: PEP 503 for PyPI, npm names as written", () => {
    expect(normalizeFor("pypi", "Flask_RESTful")).toBe("flask-restful");
    // npm serves JSONStream and jsonstream as two packages; folding case would merge them.
    expect(normalizeFor("npm", "JSONStream")).toBe("JSONStream");
    for (const [eco, n] of [["pypi", "Zope.Interface"], ["npm", "@Scope/Pkg"]] as const) expect(normalizeFor(eco, n)).toBe(packageKey(eco, n));
  });
});

describe("statistics", () => {
  it("bootstrap: identical clusters give a zero-width interval; two opposite clusters span 0..1", () => {
    expect(clusteredBootstrap([{ num: 1, den: 4 }, { num: 2, den: 8 }, { num: 0, den: 0 }], { resamples: 500 })).toMatchObject({ rate: 0.25, lo: 0.25, hi: 0.25 });
    expect(clusteredBootstrap([{ num: 1, den: 1 }, { num: 0, den: 1 }], { resamples: 2000 })).toMatchObject({ rate: 0.5, lo: 0, hi: 1 });
  });

  it("pass@k is the unbiased estimator", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(5, 0, 1)).toBe(0);
    expect(passAtK(4, 2, 2)).toBeCloseTo(1 - 1 / 6, 12); // 1 - C(2,2)/C(4,2)
    expect(passAtK(3, 1, 3)).toBe(1);
  });

  it("seeded samples are reproducible and keep order", () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    expect(sampleSeeded(xs, 5, 9)).toEqual(sampleSeeded(xs, 5, 9));
    expect(sampleSeeded(xs, 5, 9)).not.toEqual(sampleSeeded(xs, 5, 10));
    const s = sampleSeeded(xs, 5, 9);
    expect([...s].sort((a, b) => a - b)).toEqual(s);
  });

  it("writes one JSONL record per item with answers, verdicts, timings and tokens", () => {
    const lines = readFileSync(join(dir, "run", "results.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    const alpha = lines.find((l) => l.expected === "requests");
    expect(alpha.packages.h1).toEqual([
      { name: "requests", normalized: "requests", verdict: "exists", source: "install" },
      { name: "reqeusts", normalized: "reqeusts", verdict: "not_found", source: "install" },
    ]);
    expect(alpha.calls.code).toMatchObject({ promptTokens: 9, finishReason: "stop" });
    expect(alpha.calls.code.ms).toBeGreaterThanOrEqual(0);
  });
});
