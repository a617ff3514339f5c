/**
 * Regressions from the hostile-input run (issue 16): a 300 KB install line and 150k names
 * on one line must be checked, not overflow the stack; dot-scoped npm names must never
 * reach a URL; one check must not start unbounded registry lookups; extraction must stay
 * linear on long lines without whitespace.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPackageChecker, isValidNpmName } from "../../src/packages/index.js";
import type { CheckInput } from "../../src/packages/types.js";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.js";

const offline = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
let reg: FakeRegistry;
beforeAll(async () => {
  reg = await startFakeRegistry();
});
afterAll(async () => {
  await offline.close();
  await reg.close();
});
const live = (config: Record<string, unknown> = {}) =>
  createPackageChecker({ config: { timeoutMs: 5000, ...config }, watchlist: "memory", registryUrls: { npm: reg.url, pypiJson: `${reg.url}pypi/` } });
const bash = (command: string): CheckInput => ({ toolCalls: [{ id: "c", name: "Bash", input: JSON.stringify({ command }) }] });

describe("hostile inputs (issue 16)", () => {
  it("checks one 300 KB `pip install x a a a …` line, in text and in a tool call", async () => {
    const line = `pip install x ${"a ".repeat(150_000)}`;
    for (const input of [{ text: line }, bash(line)]) {
      const r = await offline.check(input);
      expect(r.packages.map((p) => p.name)).toEqual(["x", "a"]);
    }
  }, 60_000);

  it("checks 150k names on one line: every name reported, judgement capped, report incomplete", async () => {
    const line = `pip install ${Array.from({ length: 150_000 }, (_, i) => `n${i}`).join(" ")}`;
    const r = await offline.check({ text: line });
    expect(r.totals.packages).toBe(150_000);
    expect(r.packages.filter((p) => p.via !== "limit")).toHaveLength(offline.config.maxPackages);
    expect(r.incomplete).toBe(true);
  }, 120_000);

  it("refuses dot-scoped npm names and never puts them in a URL", async () => {
    const hostile = ["@../x", "@./x", "@scope/..", "@scope/.", "@.scope/x", "@..%2fx/y"];
    for (const n of hostile) expect(isValidNpmName(n), n).toBe(false);
    const c = live();
    const before = reg.requests.length;
    const r = await c.check({ packages: hostile, ecosystem: "npm" });
    expect(r.packages.every((p) => p.verdict === "not_found")).toBe(true);
    expect(reg.requests.length).toBe(before);
    await c.close();
  });

  it("starts at most maxLookups (default 64) registry requests for one check of 1,000 unknown names", async () => {
    const c = live();
    expect(c.config.maxLookups).toBe(64);
    const before = reg.requests.length;
    const names = Array.from({ length: 1000 }, (_, i) => `lookup-flood-${i}-zz`);
    const r = await c.check(bash(`npm i ${names.join(" ")}`));
    expect(reg.requests.length - before).toBe(64);
    expect(r.packages.filter((p) => p.via === "limit")).toHaveLength(936);
    expect(r.incomplete).toBe(true);
    await c.close();
  }, 60_000);

  it("stays linear on long lines without whitespace (4× the input costs well under 16×)", () => {
    const cases: [string, (n: number) => CheckInput][] = [
      ["dotted import", (n) => ({ text: `import ${"a.".repeat(n / 2)}` })],
      ["dotted import written to a .py file", (n) => ({ toolCalls: [{ id: "c", name: "Write", input: JSON.stringify({ file_path: "m.py", content: `import ${"a.".repeat(n / 2)}` }) }] })],
      ["install of one long name", (n) => bash(`pip install ${"a".repeat(n)}`)],
      ["unclosed substitutions", (n) => bash(`pip install ${"$(".repeat(n / 2)}`)],
      ["quotes", (n) => bash(`npm i ${'"a'.repeat(n / 2)}`)],
      ["operators", (n) => bash("pip&&".repeat(n / 5))],
      ["heredoc openers", (n) => bash(`${"cat<<E".repeat(n / 6)}\n`)],
    ];
    // CPU time of this process (waiting for a core on a shared machine does not count), best of three:
    // a GC pause or a busy neighbour only ever makes a run slower.
    const time = (input: CheckInput): number => {
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const t0 = process.cpuUsage();
        offline.extract(input);
        const d = process.cpuUsage(t0);
        best = Math.min(best, (d.user + d.system) / 1000);
      }
      return best;
    };
    for (const [name, make] of cases) {
      const small = time(make(100_000));
      const large = time(make(400_000));
      // Tiny timings are all noise; only a slow large case can show a blow-up (quadratic: 16×).
      if (large > 100) expect(large / small, `${name}: ${small.toFixed(1)} ms → ${large.toFixed(1)} ms`).toBeLessThan(12);
      expect(large, name).toBeLessThan(8_000);
    }
  }, 120_000);
});
