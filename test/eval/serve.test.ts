/**
 * `slopguard eval --serve <gateway config>`: one command starts slopguard in-process,
 * runs the eval through it (profiles, package reports, the gateway's own key) and
 * shuts it down again. The gateway's model is a scripted upstream on loopback.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { evalCommand } from "../../eval/cli.js";
import { readRecords } from "../../eval/records.js";
import { serveForEval } from "../../eval/serve.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

let dir: string;
let up: ScriptedUpstream;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sg-eval-serve-"));
  up = await startScriptedUpstream();
  up.setHandler((body) => ({
    kind: "json",
    content: String(body.messages.at(-1).content).includes("Generate") ? "```bash\npip install requests zqxj-made-up-pkg\n```" : "requests",
  }));
});
afterAll(async () => {
  await up.close();
  rmSync(dir, { recursive: true, force: true });
});

it("starts slopguard from a gateway config, evaluates through it, and stops it", async () => {
  const gatewayConfig = join(dir, "gateway.yaml");
  writeFileSync(
    gatewayConfig,
    [
      "server: { apiKeys: [gw-key-1] }",
      "rag: { enabled: false }",
      `packages: { mode: offline, watchlistPath: ${JSON.stringify(join(dir, "watchlist"))} }`,
      "models:",
      `  - { name: up, provider: openai-compatible, model: upstream-model, baseURL: ${JSON.stringify(up.baseURL)}, maxRetries: 0 }`,
      "",
    ].join("\n"),
  );
  const out = join(dir, "run");
  const stderr: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await evalCommand(
      { serve: gatewayConfig, model: ["up"], profile: ["default", "strict"], dataset: ["testbed:heldout_pypi"], sample: "2", heuristics: "h1", out, progress: false },
      ["node", "slopguard", "eval", "--serve", gatewayConfig],
    );
  } finally {
    process.stderr.write = write;
  }
  expect(process.exitCode ?? 0).toBe(0);
  const records = readRecords(join(out, "results.jsonl"));
  expect(records).toHaveLength(4);
  // Every answer went through slopguard (its report is attached) with the profile asked for.
  for (const r of records) {
    const report = (r as any).calls.code.slopguard;
    expect(report.profile).toBe(r.profile);
    expect(report.packages.map((p: { name: string; verdict: string }) => `${p.name}:${p.verdict}`).sort()).toEqual(["requests:exists", "zqxj-made-up-pkg:not_found"]);
  }
  expect(records.filter((r) => r.profile === "strict").every((r) => (r as any).calls.code.slopguard.action === "blocked")).toBe(true);
  // The upstream saw the gateway's calls, not the eval client's (the key never reached it).
  expect(up.chatRequests()).toHaveLength(4);
  expect(up.chatRequests().every((q) => q.headers.authorization !== "Bearer gw-key-1")).toBe(true);
  const served = /slopguard ready at (\S+)/.exec(stderr.join(""))?.[1];
  expect(served).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  // Stopped afterwards: nothing listens there any more.
  await expect(fetch(`${served}/models`)).rejects.toThrow();
  // Blocked answers name no package: the report says so instead of only showing a low rate.
  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  expect(summary.byProfile.map((g: any) => [g.profile, g.answers])).toEqual([
    ["default", { total: 2, withoutPackages: 0, blocked: 0 }],
    ["strict", { total: 2, withoutPackages: 2, blocked: 2 }],
  ]);
  const report = readFileSync(join(out, "report.md"), "utf8");
  expect(report).toContain("slopguard in-process");
  expect(report).toMatch(/Wall time: \d/);
  // --report-only rewrites the tables but keeps the facts of the run that made them.
  await evalCommand({ serve: gatewayConfig, model: ["up"], profile: ["default", "strict"], dataset: ["testbed:heldout_pypi"], sample: "2", heuristics: "h1", out, progress: false, reportOnly: true }, [
    "node",
    "slopguard",
    "eval",
    "--report-only",
  ]);
  const rewritten = readFileSync(join(out, "report.md"), "utf8");
  expect(rewritten).toContain(`Reproduce: \`slopguard eval --serve ${gatewayConfig}\``);
  expect(/Wall time: .*/.exec(rewritten)?.[0]).toBe(/Wall time: .*/.exec(report)?.[0]);
});

/** Command lines of live processes that mention `needle` (Linux /proc). */
function processesWith(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle)) out.push(cmd);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

it("stopping while the RAG index is still being built ends at once and stops the build", async () => {
  const indexUri = join(dir, "missing-index");
  const gatewayConfig = join(dir, "gateway-rag.yaml");
  writeFileSync(
    gatewayConfig,
    [
      `rag: { enabled: true, autoBuild: true, indexUri: ${JSON.stringify(indexUri)} }`,
      `packages: { mode: offline, watchlistPath: ${JSON.stringify(join(dir, "watchlist-rag"))} }`,
      "models:",
      `  - { name: up, provider: openai-compatible, model: upstream-model, baseURL: ${JSON.stringify(up.baseURL)}, maxRetries: 0 }`,
      "",
    ].join("\n"),
  );
  const ac = new AbortController();
  const lines: string[] = [];
  const starting = serveForEval({ config: gatewayConfig, signal: ac.signal, log: (l) => lines.push(l) });
  // The build child is running (it takes minutes on the full data) when the user stops.
  const deadline = Date.now() + 20_000;
  while (processesWith(indexUri).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(processesWith(indexUri).length).toBeGreaterThan(0);
  const t0 = Date.now();
  ac.abort();
  await expect(starting).rejects.toThrow(/stopped before slopguard was ready/);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(lines.join("\n")).toContain("opening the RAG index");
  const gone = Date.now() + 10_000;
  while (processesWith(indexUri).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  expect(processesWith(indexUri)).toEqual([]);
}, 60_000);
