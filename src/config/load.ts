/**
 * Loads the gateway config: YAML or JSON, `${ENV}` / `${ENV:-default}` interpolation
 * in string values (for secrets), zod validation with errors that name the key,
 * and model/adapter paths resolved against the config file's folder.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ZodError } from "zod";
import { ConfigSchema, type Config } from "./schema.js";
import { projectRoot } from "../util/paths.js";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The embedded default: the testbed GGUF on the local provider, no key, no network. */
export function defaultConfigPath(): string {
  return path.join(projectRoot(), "config", "default.yaml");
}

export function loadConfig(options: { path?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const file = path.resolve(options.path ?? defaultConfigPath());
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(err as Error).message}`);
  }
  return parseConfig(raw, { baseDir: path.dirname(file), source: file, env: options.env ?? process.env });
}

/** Validates an already-parsed config object (tests build these in code). */
export function parseConfig(raw: unknown, options: { baseDir?: string; source?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const source = options.source ?? "config";
  const interpolated = interpolate(raw ?? {}, options.env ?? process.env, "");
  const result = ConfigSchema.safeParse(interpolated);
  if (!result.success) throw new ConfigError(formatZodError(result.error, source));
  return resolvePaths(result.data, options.baseDir ?? process.cwd());
}

export function formatZodError(err: ZodError, source: string): string {
  const lines = err.issues.slice(0, 10).map((i) => `  ${keyPath(i.path) || "(root)"}: ${i.message}`);
  return `Invalid config in ${source}:\n${lines.join("\n")}`;
}

function keyPath(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, env: NodeJS.ProcessEnv, at: string): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`Invalid config: ${at || "(root)"}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${at}[${i}]`));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, at ? `${at}.${k}` : k)]));
  }
  return value;
}

function resolvePaths(config: Config, baseDir: string): Config {
  const models = config.models.map((m) =>
    m.provider === "local"
      ? { ...m, model: path.resolve(baseDir, m.model), adapters: m.adapters.map((a) => ({ ...a, path: path.resolve(baseDir, a.path) })) }
      : m,
  );
  return { ...config, models };
}
