/** The pruned nearest-name index must find exactly what a full Levenshtein scan finds. */
import { describe, expect, it } from "vitest";
import { createPackageChecker } from "../../src/packages/index.js";
import { defaultSnapshot } from "../../src/packages/snapshot.js";
import { NameIndex, naiveWithin, type NameSource } from "../../src/packages/suggest.js";

describe("nearest-name index", () => {
  it("matches the naive scan on 300 queries over the ranked PyPI names", () => {
    const names = [...defaultSnapshot().pypi.rank.keys()];
    const source: NameSource = { size: names.length, at: (i) => names[i]! };
    const index = new NameIndex(source);
    let seed = 3;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let nonEmpty = 0;
    for (let k = 0; k < 300; k++) {
      const base = names[Math.floor(rand() * names.length)]!;
      const i = Math.floor(rand() * base.length);
      const q = [base.slice(0, i) + base.slice(i + 1), base.slice(0, i) + "z" + base.slice(i), base.slice(0, i) + "a" + base.slice(i + 1), `${base}s`, base.split("").reverse().join("")][k % 5]!;
      for (const d of [1, 2]) {
        const fast = index.within(q, d).map((m) => `${m.name}:${m.distance}`).sort();
        const slow = naiveWithin(source, q, d).map((m) => `${m.name}:${m.distance}`).sort();
        expect(fast, `${q} d=${d}`).toEqual(slow);
        if (fast.length) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(300);
  });
});

describe("did you mean, for affixed made-up names", () => {
  const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
  const suggestion = async (text: string, ecosystem: "pypi" | "npm" = "pypi") =>
    (await checker.check({ packages: [text], ecosystem })).packages[0]?.suggestion;

  it("strips ecosystem affixes and maps import names to their distribution", async () => {
    expect(await suggestion("python-yaml")).toBe("pyyaml"); // yaml → PyYAML, not 'python3-saml' (2 edits)
    expect(await suggestion("requests-py")).toBe("requests");
    expect(await suggestion("node-lodash", "npm")).toBe("lodash");
  });

  it("falls back to edit distance when no affix gives a popular package", async () => {
    expect(await suggestion("reqeusts")).toBe("requests");
  });
});
