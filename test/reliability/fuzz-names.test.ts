/**
 * Property-based tests of the registry name validators and of the path from a name to
 * a registry URL: no name a validator accepts contains a raw path or URL character,
 * and, through the real registry client against a loopback fake registry, no request
 * path ever carries an unvalidated name (an invalid one never reaches the network).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLookupCache, type CachedLookup } from "../../src/packages/index.js";
import { PackagesConfigSchema } from "../../src/packages/config.js";
import { isValidNpmName, isValidPypiName, normalizePypi } from "../../src/packages/names.js";
import { RegistryClient } from "../../src/packages/registry.js";
import { startFakeRegistry, type FakeRegistry } from "../packages/fake-registry.js";
import { fuzzParams, fuzzTimeout, HOSTILE_CHARS } from "./fuzz.js";

/** Names near the edge of validity: real-looking pieces glued with hostile characters. */
const nameLike = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_CHARS), fc.stringMatching(/^[a-zA-Z0-9_-]{1,8}$/), fc.constantFrom("@", "@scope/", "..", ".", "-", "_")), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(""));
const piece = fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9._~-]{0,8}$/), nameLike);
const scoped = fc.tuple(piece, piece).map(([scope, name]) => `@${scope}/${name}`);
const anyName = fc.oneof(nameLike, scoped, fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/));

/** What may appear in a name that goes into a URL path (npm's and PEP 508's alphabets). */
const NPM_SAFE = /^(@[A-Za-z0-9._~-]+\/)?[A-Za-z0-9._~-]+$/;
const PYPI_SAFE = /^[A-Za-z0-9._-]+$/;

describe("name validators (property)", () => {
  it("accept no name with a raw path, URL, whitespace or control character", () => {
    fc.assert(
      fc.property(anyName, (name) => {
        if (isValidNpmName(name)) expect(name, "npm").toMatch(NPM_SAFE);
        if (isValidPypiName(name)) {
          expect(name, "pypi").toMatch(PYPI_SAFE);
          expect(normalizePypi(name)).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
        }
      }),
      fuzzParams(20_000),
    );
  }, fuzzTimeout());

  it("accept no npm name whose scope or name is a dot segment", () => {
    const dotty = fc.tuple(fc.constantFrom(".", "..", "a", "x.y"), fc.constantFrom(".", "..", "b", "c.d")).map(([s, n]) => `@${s}/${n}`);
    fc.assert(
      fc.property(fc.oneof(dotty, nameLike), (name) => {
        if (!isValidNpmName(name)) return;
        const segments = name.replace(/^@/, "").split("/");
        expect(segments.some((s) => s === "." || s === ".."), name).toBe(false);
      }),
      fuzzParams(2_000),
    );
  }, fuzzTimeout());
});

describe("registry client URLs (property, loopback fake registry)", () => {
  let reg: FakeRegistry;
  beforeAll(async () => {
    reg = await startFakeRegistry();
  });
  afterAll(() => reg.close());

  const client = () =>
    new RegistryClient({
      config: PackagesConfigSchema.parse({ timeoutMs: 5_000 }),
      cache: new MemoryLookupCache<CachedLookup>(10),
      urls: async () => ({ npm: reg.url, pypiJson: `${reg.url}pypi/`, pypiSimple: `${reg.url}simple/` }),
    });

  it.each(["npm", "pypi"] as const)("%s: an invalid name never reaches the network; a valid one only as its safe encoding", async (eco) => {
    await fc.assert(
      fc.asyncProperty(anyName, async (name) => {
        const before = reg.requests.length;
        const r = await client().lookup(eco, name);
        const sent = reg.requests.slice(before);
        const valid = eco === "npm" ? isValidNpmName(name) : isValidPypiName(name);
        if (!valid) {
          expect(sent, JSON.stringify(name)).toEqual([]);
          expect(r).toMatchObject({ status: "not_found", error: "invalid name" });
          return;
        }
        expect(sent).toHaveLength(1);
        const path = sent[0]!;
        if (eco === "npm") {
          expect(path).toMatch(/^\/(@[A-Za-z0-9._~-]+%2F)?[A-Za-z0-9._~-]+$/);
          expect(decodeURIComponent(path.slice(1))).toBe(name);
        } else {
          expect(path).toBe(`/pypi/${normalizePypi(name)}/json`);
        }
      }),
      fuzzParams(1_500),
    );
  }, fuzzTimeout());
});
