/**
 * The labelled tool-call corpus (test/fixtures/toolcalls/): extraction precision and recall
 * over (call, ecosystem:package, argument path), and full checks against the snapshot
 * (offline) and the fake registry (live): no benign call gets a not_found or high-risk
 * package, and every planted made-up name is not_found at its location.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, type SlopguardPackageChecker } from "../../src/packages/index.js";
import { packageKey } from "../../src/packages/names.js";
import type { Ecosystem, ToolCallInput } from "../../src/packages/types.js";
import { parseLabel, TOOL_CALL_CORPUS, type LabelledCall } from "../fixtures/toolcalls/index.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

const all = Object.entries(TOOL_CALL_CORPUS).flatMap(([file, calls]) => calls.map((c) => ({ ...c, file })));
const isBenign = (c: LabelledCall): boolean => !c.expect.some((e) => e.startsWith("!"));
const asCall = (c: LabelledCall): ToolCallInput => ({ id: `call_${c.id}`, name: c.tool, input: c.input });
const labels = (c: LabelledCall) => c.expect.map(parseLabel);

let offline: SlopguardPackageChecker;
let live: SlopguardPackageChecker;
let reg: FakeRegistry;

beforeAll(async () => {
  offline = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
  // An empty registry: every name the snapshot lacks gets a 404, so a wrongly extracted
  // name in a benign call shows up as not_found (the real names are all in the snapshot).
  reg = await startFakeRegistry();
  live = createPackageChecker({
    config: { timeoutMs: 5000 }, watchlist: "memory", registryUrls: { npm: reg.url, pypiJson: `${reg.url}pypi/` },
  });
});

afterAll(async () => {
  await offline.close();
  await live.close();
  await reg.close();
});

describe("the labelled tool-call corpus", () => {
  it("has at least 300 calls, at least 100 of them benign, in the agents' shapes", () => {
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(all.filter(isBenign).length).toBeGreaterThanOrEqual(100);
    expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
    const tools = new Set(all.map((c) => c.tool));
    for (const t of ["Bash", "Write", "Edit", "MultiEdit", "shell", "apply_patch", "run_shell_command", "write_file", "edit",
      "execute_command", "write_to_file", "replace_in_file", "execute_bash", "str_replace_editor", "run_terminal_cmd", "edit_file"]) {
      expect(tools.has(t), t).toBe(true);
    }
    expect(all.filter((c) => c.expect.some((e) => e.startsWith("!"))).length).toBeGreaterThanOrEqual(100);
  });

  it("labels real names that the snapshot has and made-up names that it lacks", () => {
    const wrong: string[] = [];
    for (const c of all) {
      for (const l of labels(c)) {
        if (l.ecosystem === "conda") continue;
        const s = offline.snapshot;
        const listed = l.ecosystem === "pypi" ? s.pypi.names.has(l.name) : s.npm.names.has(l.name);
        if (listed === l.madeUp) wrong.push(`${c.id}: ${l.ecosystem}:${l.name}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("extracts with precision and recall ≥ 0.99 (package and argument path must both match)", () => {
    const score = (calls: typeof all) => {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      const misses: string[] = [];
      for (const c of calls) {
        const got = new Set(offline.extract({ toolCalls: [asCall(c)] }).map((p) => `${p.ecosystem}:${p.normalized}@${p.location?.path}`));
        const want = new Set(labels(c).map((l) => `${l.ecosystem}:${packageKey(l.ecosystem as Ecosystem, l.name)}@${l.path}`));
        for (const g of got) if (want.has(g)) tp++; else { fp++; misses.push(`${c.id}: extra ${g}`); }
        for (const w of want) if (!got.has(w)) { fn++; misses.push(`${c.id}: missed ${w}`); }
      }
      return { precision: tp / (tp + fp), recall: tp / (tp + fn), tp, fp, fn, misses };
    };
    const total = score(all);
    const rows = Object.keys(TOOL_CALL_CORPUS).map((f) => {
      const calls = all.filter((c) => c.file === f);
      const s = score(calls);
      const pr = s.tp + s.fp + s.fn === 0 ? "no packages, none found" : `precision ${s.precision.toFixed(4)}, recall ${s.recall.toFixed(4)}`;
      return `  ${f}: ${calls.length} calls (${calls.filter(isBenign).length} benign), ${pr} (tp ${s.tp}, fp ${s.fp}, fn ${s.fn})`;
    });
    console.log([`tool calls, all: ${all.length} calls, precision ${total.precision.toFixed(4)}, recall ${total.recall.toFixed(4)} (tp ${total.tp}, fp ${total.fp}, fn ${total.fn})`, ...rows].join("\n"));
    if (total.misses.length) console.log(total.misses.join("\n"));
    expect(total.precision).toBeGreaterThanOrEqual(0.99);
    expect(total.recall).toBeGreaterThanOrEqual(0.99);
  });

  async function judgeAll(checker: SlopguardPackageChecker, madeUpEcosystems: Set<string>) {
    const benignFlagged: string[] = [];
    const plantedMissed: string[] = [];
    for (const c of all) {
      const report = await checker.check({ toolCalls: [asCall(c)] });
      const bad = report.packages.filter((p) => p.verdict === "not_found" || p.risk === "high");
      if (isBenign(c) && bad.length) benignFlagged.push(`${c.id}: ${bad.map((p) => `${p.name} (${p.verdict}, ${p.risk})`).join(", ")}`);
      for (const l of labels(c).filter((x) => x.madeUp && madeUpEcosystems.has(x.ecosystem))) {
        const hit = report.packages.find((p) => p.ecosystem === l.ecosystem && p.normalized === packageKey(l.ecosystem as Ecosystem, l.name) && p.location?.path === l.path);
        const ok = hit?.verdict === "not_found" && hit.location?.toolCallId === `call_${c.id}` && hit.location.tool === c.tool;
        if (!ok) plantedMissed.push(`${c.id}: ${l.ecosystem}:${l.name}@${l.path} → ${hit ? `${hit.verdict} at ${JSON.stringify(hit.location)}` : "not reported"}`);
      }
    }
    return { benignFlagged, plantedMissed };
  }

  it("offline, against the snapshot: 0 benign calls flagged, every planted PyPI name not_found at its location", async () => {
    // The npm snapshot holds only popular packages, so offline an npm miss is `unknown` by design.
    const r = await judgeAll(offline, new Set(["pypi"]));
    expect(r.benignFlagged).toEqual([]);
    expect(r.plantedMissed).toEqual([]);
  });

  it("live, against the fake registry: 0 benign calls flagged, every planted name not_found at its location", async () => {
    const before = reg.requests.length;
    const r = await judgeAll(live, new Set(["pypi", "npm"]));
    expect(r.benignFlagged).toEqual([]);
    expect(r.plantedMissed).toEqual([]);
    // The live registry really was asked (made-up names are not in the snapshot).
    expect(reg.requests.length - before).toBeGreaterThan(50);
    console.log(`live corpus check: ${reg.requests.length - before} registry requests`);
  });
});
