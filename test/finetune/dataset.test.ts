/**
 * The dataset builder on fixtures with the real package checker (offline, the repository's snapshot) and the
 * real held-out files (data/eval/): what is kept, repaired, dropped and held out, and the files it writes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, type SlopguardPackageChecker } from "../../src/packages/index.js";
import { buildDataset, parseListing, type ChatRow } from "../../finetune/dataset.js";
import { defaultHeldoutFiles, loadHeldout, normalizePrompt, readPaperPrompts } from "../../finetune/heldout.js";
import { runDataCommand } from "../../finetune/data-command.js";
import { repoRoot } from "../helpers/gateway.js";

const fixture = join(repoRoot, "test/finetune/fixtures/answers.jsonl");
const rows = readFileSync(fixture, "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
const guard = loadHeldout(defaultHeldoutFiles(repoRoot));
let checker: SlopguardPackageChecker;
let tmp: string;

beforeAll(() => {
  checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
  tmp = mkdtempSync(join(tmpdir(), "ft-data-"));
});
afterAll(async () => {
  await checker.close();
  rmSync(tmp, { recursive: true, force: true });
});

const answers = (out: ChatRow[], split: string) => out.filter((r) => r.split === split).map((r) => r.messages.at(-1)!.content);

describe("held-out guard", () => {
  it("loads every eval prompt, including the prompts run together on the paper file's malformed first line", () => {
    expect(guard.size).toBeGreaterThan(10_000);
    const paper = readPaperPrompts(join(repoRoot, "data/eval/paper/Python_LLM_AT.json.gz"));
    expect(paper.some((p) => p.startsWith("Write a Python program that uses the os and shutil modules"))).toBe(true);
    expect(guard.has("Generate Python code that imports the requests library and creates a session object with thread-safe connection pooling, files posting, and other features.")).toBe(true);
    // normalisation: case, punctuation and spacing do not get a prompt past the guard
    expect(guard.has("generate python code that imports the REQUESTS library and creates a session object with thread safe connection pooling files posting and other features")).toBe(true);
    expect(guard.has("Generate Python code that reverses a string")).toBe(false);
    expect(normalizePrompt("  Hello,  World! ")).toBe("hello world");
  });
});

describe("buildDataset", () => {
  it("keeps only answers whose packages all exist, holds out eval prompts and drops duplicates", async () => {
    const { rows: out, manifest } = await buildDataset({ sources: [{ name: "fx", rows }], checker, guard, repair: false });
    expect(answers(out, "train")).toEqual(["requests, urllib3", expect.stringContaining("pip install pyyaml"), "express, koa"]);
    expect(answers(out, "heldout")).toHaveLength(2);
    expect(manifest.counts).toMatchObject({ input: 11, kept: 3, repaired: 0, train: 3, heldout: 2 });
    expect(manifest.counts.dropped).toEqual({ unparseable: 1, empty_answer: 1, no_packages: 0, hallucinated: 3, unverified: 0, duplicate: 1 });
    expect(manifest.runs).toEqual({ "fixture-a": 3, "fixture-b": 4, "fixture-c": 3 });
    // no held-out prompt reaches the training split
    for (const r of out.filter((x) => x.split === "train")) expect(guard.has(r.messages.find((m) => m.role === "user")!.content)).toBe(false);
  });

  it("keeps answers whose names are on the packages allowlist (private packages are not made up)", async () => {
    const allowing = createPackageChecker({ config: { mode: "offline", allow: { pypi: ["zzq-surely-not-a-package-*"] } }, watchlist: "memory" });
    const { rows: out, manifest } = await buildDataset({ sources: [{ name: "fx", rows }], checker: allowing, guard, repair: false });
    expect(answers(out, "train")).toContain("numpy, zzq-surely-not-a-package-x");
    expect(manifest.counts.dropped.hallucinated).toBeLessThan(3);
    await allowing.close();
  });

  it("--repair keeps a listing answer minus its made-up names, reported apart; code is never repaired", async () => {
    const { rows: out, manifest } = await buildDataset({ sources: [{ name: "fx", rows }], checker, guard, repair: true });
    const repaired = out.filter((r) => r.origin === "repaired").map((r) => r.messages.at(-1)!.content);
    expect(repaired).toEqual(["numpy"]);
    expect(manifest.counts).toMatchObject({ kept: 3, repaired: 1, train: 4 });
    expect(manifest.counts.dropped.hallucinated).toBe(2);
    expect(manifest.byKind["pypi:list"]).toMatchObject({ kept: 1, repaired: 1 });
  });

  it("mixes package-free examples up to the configured share, under the same guard", async () => {
    const general = { rows: readFileSync(join(repoRoot, "finetune/data/general_code.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown), maxShare: 0.5 };
    const { manifest, rows: out } = await buildDataset({ sources: [{ name: "fx", rows }], checker, guard, repair: false, general });
    expect(manifest.counts.general).toBe(3); // 3 self-answers at a 50% cap
    expect(out.filter((r) => r.origin === "general").every((r) => !/pip install/.test(r.messages.at(-1)!.content))).toBe(true);
  });

  it("parses listing answers as the testbed writes them", () => {
    expect(parseListing("requests, flask==2.0, `numpy`.\n@types/node")).toEqual(["requests", "flask", "numpy", "@types/node"]);
  });
});

describe("finetune data (command)", () => {
  it("writes train/heldout JSONL, the manifest and the held-out hashes train.py checks", async () => {
    const out = join(tmp, "data");
    const manifest = await runDataCommand({ source: [fixture], out, repair: true, general: false, generalShare: "0.1" });
    const train = readFileSync(join(out, "train.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as ChatRow);
    expect(train).toHaveLength(manifest.counts.train);
    expect(train.every((r) => r.split === "train" && r.messages.at(-1)!.role === "assistant")).toBe(true);
    expect(readFileSync(join(out, "heldout.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(readFileSync(join(out, "heldout_hashes.txt"), "utf8").trim().split("\n").length).toBe(guard.size);
    expect(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"))).toMatchObject({ repair: true, checker: { mode: "offline" } });
  });
});
