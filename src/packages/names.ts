/**
 * Registry naming rules. A name that fails these checks is never put into a URL:
 * the registry client only accepts the branded names returned from here.
 */
import validateNpm from "validate-npm-package-name";
import type { Ecosystem } from "./types.js";

/** PEP 503 normalisation. */
export function normalizePypi(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

const PEP508_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

export function isValidPypiName(name: string): boolean {
  return name.length <= 200 && PEP508_NAME.test(name);
}

/**
 * Old npm packages may have capitals (`JSONStream`), so "valid for old packages" is the bar
 * for existing names; core module names are rejected by the validator too.
 */
export function isValidNpmName(name: string): boolean {
  if (name.length === 0 || name.length > 214 || name !== name.trim()) return false;
  // The validator checks the period rule on the part after the slash only, so `@../x` and
  // `@./x` pass it; a scope is an npm user or org name, which never starts with a period.
  if (name.startsWith("@.")) return false;
  const r = validateNpm(name);
  return r.validForOldPackages && !/[~'!()*]/.test(name) && !name.includes("%");
}

export function isValidName(ecosystem: Ecosystem, name: string): boolean {
  return ecosystem === "pypi" ? isValidPypiName(name) : isValidNpmName(name);
}

/**
 * The one package-name key of the gateway and the eval: two names are the same package
 * exactly when their keys are equal. PyPI (and conda): PEP 503. npm: the name as written.
 * The npm registry serves `JSONStream` and `jsonstream` as two packages (names from before
 * the 2017 lower-case rule keep their capitals), and the checker, the snapshot and every
 * registry URL use the name as written, so folding case here would merge a real package
 * with a name that does not exist and let counts disagree with verdicts.
 */
export function packageKey(ecosystem: Ecosystem | "conda", name: string): string {
  const n = name.trim();
  return ecosystem === "npm" ? n : normalizePypi(n);
}

/** Registry identity, kept for callers written before packageKey; the same function. */
export const normalizeName = packageKey;

/** `@scope/name/deep/path` → `@scope/name`; `name/deep` → `name`. */
export function npmPackageOfSpecifier(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
}
