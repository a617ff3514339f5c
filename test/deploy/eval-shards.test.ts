/**
 * The sharding scheme of deploy/k8s/eval: shards that each run one profile of the
 * same eval config, concatenated and reported with --report-only over all profiles,
 * give one report that accounts for every shard's items. Real `slopguard eval`
 * processes against the real gateway in front of a scripted upstream.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const run = promisify(execFile);
const ANSWER = "```bash\npip install requests fastjsonschema-validatorx\n```\n```python\nimport requests\n```";

describe("eval sharded by profile, then merged", () => {
  let upstream: ScriptedUpstream;
  let gateway: TestGateway;
  let dir: string;

  beforeAll(async () => {
    upstream = await startScriptedUpstream();
    upstream.setHandler(() => ({ kind: "json", content: ANSWER }));
    gateway = await startGateway({ config: { models: [upstreamModel(upstream)], packages: { mode: "offline" } } });
    dir = await mkdtemp(path.join(tmpdir(), "slopguard-eval-shards-"));
  });

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const evalRun = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli.ts", "eval", "-c", path.join(dir, "eval.yaml"), "--no-progress", ...args], {
      cwd: repoRoot,
      maxBuffer: 1 << 24,
    });

  it("merged shards report every shard's items and counts", async () => {
    const profiles = ["none", "default"];
    await writeFile(
      path.join(dir, "eval.yaml"),
      stringify({
        target: { baseURL: gateway.baseURL, profileVia: "header" },
        models: ["up"],
        profiles,
        temperatures: [0.7],
        datasets: [{ kind: "testbed", set: "heldout_pypi" }],
        sample: 3,
        seed: 7,
        repeats: 1,
        concurrency: 2,
        heuristics: ["h1"],
        out: path.join(dir, "unused"),
      }),
    );
    // As the Indexed Job's pods do: one profile each.
    await Promise.all(profiles.map((p, i) => evalRun(["--profile", p, "--out", path.join(dir, `shard-${i}`)])));
    // As merge-job.yaml does.
    const shards = await Promise.all(profiles.map((_, i) => readFile(path.join(dir, `shard-${i}`, "results.jsonl"), "utf8")));
    await mkdir(path.join(dir, "merged"));
    await writeFile(path.join(dir, "merged", "results.jsonl"), shards.join(""));
    await evalRun(["--profile", profiles.join(","), "--out", path.join(dir, "merged"), "--report-only"]);

    const summary = async (name: string) => JSON.parse(await readFile(path.join(dir, name, "summary.json"), "utf8"));
    const shardSummaries = await Promise.all(profiles.map((_, i) => summary(`shard-${i}`)));
    const merged = await summary("merged");
    const sum = (pick: (s: any) => number) => shardSummaries.reduce((n, s) => n + pick(s), 0);
    expect(merged.records).toBe(3 * profiles.length);
    expect(merged.records).toBe(sum((s) => s.records));
    expect(merged.overall.rate).toMatchObject({ num: sum((s) => s.overall.rate.num), den: sum((s) => s.overall.rate.den) });
    expect(merged.overall.rate.num).toBeGreaterThan(0);
    // The merged report covers every profile, as one run over all of them would.
    const report = await readFile(path.join(dir, "merged", "report.md"), "utf8");
    for (const p of profiles) expect(report).toContain(p);
  }, 150_000);
});
