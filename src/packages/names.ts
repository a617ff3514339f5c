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
  const r = validateNpm(name);
  return r.validForOldPackages && !/[~'!()*]/.test(name) && !name.includes("%");
}

export function isValidName(ecosystem: Ecosystem, name: string): boolean {
  return ecosystem === "pypi" ? isValidPypiName(name) : isValidNpmName(name);
}

/** Registry identity: PEP 503 for PyPI; npm names compare as written (case matters on old packages). */
export function normalizeName(ecosystem: Ecosystem | "conda", name: string): string {
  return ecosystem === "npm" ? name : normalizePypi(name);
}

/** `@scope/name/deep/path` → `@scope/name`; `name/deep` → `name`. */
export function npmPackageOfSpecifier(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
}
