/**
 * Bare package-list answers (the paper's H2/H3 answers and the testbed's listing
 * prompts) are checked, and prose is never mistaken for a list.
 */
import { describe, expect, it } from "vitest";
import { createPackageChecker } from "../../src/packages/index.js";

const checker = createPackageChecker({ config: { mode: "offline" }, watchlist: "memory" });
const names = async (text: string, extra: Record<string, unknown> = {}) =>
  (await checker.check({ text, ...extra })).packages.map((p) => [p.name, p.verdict, p.source, p.line]);

describe("bare package lists", () => {
  it("checks a comma-separated answer, one verdict per name", async () => {
    expect(await names("yamllint, python-yaml, fastparquet")).toEqual([
      ["yamllint", "exists", "list", 1],
      ["python-yaml", "not_found", "list", 1],
      ["fastparquet", "exists", "list", 1],
    ]);
  });

  it("reads one name per line, bullets, bold names and glosses", async () => {
    const text = "- **requests**: HTTP for humans\n- numpy – arrays\n* `pandas`\n1. reqeusts-toolbelt2x (for retries)";
    expect(await names(text)).toEqual([
      ["requests", "exists", "list", 1],
      ["numpy", "exists", "list", 2],
      ["pandas", "exists", "list", 3],
      ["reqeusts-toolbelt2x", "not_found", "list", 4],
    ]);
  });

  it("uses the ecosystem for npm lists, scoped names included", async () => {
    const r = await checker.check({ text: "express, @types/node, lodash", ecosystem: "npm" });
    expect(r.packages.map((p) => [p.name, p.ecosystem, p.verdict])).toEqual([
      ["express", "npm", "exists"],
      ["@types/node", "npm", "exists"],
      ["lodash", "npm", "exists"],
    ]);
  });

  it("takes a single name only when the prompt asked for a list", async () => {
    expect(await names("Yes.")).toEqual([]);
    expect(await names("argparse2000")).toEqual([]);
    expect(await names("argparse2000", { expectList: true })).toEqual([["argparse2000", "not_found", "list", 1]]);
  });

  it("never turns prose, sentences or code into a list", async () => {
    expect(await names("You can use requests, or urllib if you prefer the standard library.")).toEqual([]);
    expect(await names("Sure, here it is.\n- Install the package first\n- then run it")).toEqual([]);
    expect(await names("x = 1, 2")).toEqual([]);
    // An agent's closing words, unasked, are not two packages.
    expect(await names("Sure, done.")).toEqual([]);
    expect(await names("Done, installed!")).toEqual([]);
    // Asked for a list, the same shape still counts.
    expect((await names("flask, requests.", { expectList: true })).map((n) => n[0])).toEqual(["flask", "requests"]);
  });

  it("prefers install commands and imports when the answer has code", async () => {
    const text = "```bash\npip install flask\n```\nflask, requests";
    expect((await names(text)).map((n) => n[0])).toEqual(["flask"]);
  });
});
