/**
 * Structured JSON logs, one object per line. Small on purpose: the gateway logs a
 * line per request, and a synchronous stringify + write is cheaper than a logging
 * framework's transport machinery at this volume.
 *
 * Every line passes one choke point that removes secrets and bounds size, because
 * log fields carry text the gateway does not control (upstream error bodies, client
 * model names, request bodies at debug): the configured secrets (`withSecrets`,
 * fed from the config by src/server/secrets.ts) and key-shaped tokens are replaced
 * by `[redacted]`, each string is cut at `maxFieldChars`, and a line that is still
 * longer than `maxLineChars` is replaced by a truncated, still-parseable one.
 */
import { MIN_SECRET_LENGTH, redact } from "./sanitize.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LogLimits {
  /** Longest string value (message, field, error message) written, in characters. */
  maxFieldChars: number;
  /** Longest line written, in characters. */
  maxLineChars: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = { maxFieldChars: 2_048, maxLineChars: 16_384 };

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  enabled(level: LogLevel): boolean;
  /** The same logger, also redacting these values (API keys, tokens, passwords) from every line. */
  withSecrets(secrets: readonly string[]): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  base?: Record<string, unknown>;
  write?: (line: string) => void;
  secrets?: readonly string[];
  limits?: Partial<LogLimits>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const base = options.base ?? {};
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const secrets = normaliseSecrets(options.secrets ?? []);
  const limits = { ...DEFAULT_LOG_LIMITS, ...options.limits };
  const format = lineFormatter(secrets, limits);
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    write(format({ time: new Date().toISOString(), level: lvl, msg, ...base, ...fields }) + "\n");
  };
  const same = { level, base, write, secrets, limits };
  return {
    level,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...same, base: { ...base, ...fields } }),
    enabled: (l) => RANK[l] >= RANK[level],
    withSecrets: (more) => createLogger({ ...same, secrets: [...secrets, ...more] }),
  };
}

/** Unique, long enough to be worth replacing, longest first (so a key containing another goes whole). */
function normaliseSecrets(secrets: readonly string[]): string[] {
  return [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
}

function lineFormatter(secrets: readonly string[], limits: LogLimits) {
  const margin = secrets[0]?.length ?? 0;
  // Redacting before cutting: a cut through a secret must not leave its first half in the log.
  // Only a prefix is scanned, so a 5 MB upstream body costs no more than a 2 KB one.
  const clean = (s: string): string => {
    if (s.length <= limits.maxFieldChars) return redact(s, secrets);
    const head = redact(s.slice(0, limits.maxFieldChars + margin + 64), secrets).slice(0, limits.maxFieldChars);
    return `${head}…[${s.length - limits.maxFieldChars} more chars]`;
  };
  const replacer = (_key: string, value: unknown): unknown => {
    if (typeof value === "string") return clean(value);
    if (value instanceof Error) return errorFields(value);
    if (typeof value === "bigint") return value.toString();
    return value;
  };
  // Object keys are not seen by the replacer as values; a secret used as a key is caught here.
  const escaped = secrets.map((s) => JSON.stringify(s).slice(1, -1));
  return (record: Record<string, unknown>): string => {
    let line = JSON.stringify(record, replacer);
    for (const s of escaped) if (line.includes(s)) line = line.split(s).join("[redacted]");
    if (line.length <= limits.maxLineChars) return line;
    const { time, level, msg } = record;
    return JSON.stringify({ time, level, msg: clean(String(msg)), truncated: line.length, head: line.slice(0, limits.maxLineChars) });
  };
}

function errorFields(err: Error): Record<string, unknown> {
  const extra = err as Error & { code?: unknown; status?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(typeof extra.code === "string" || typeof extra.code === "number" ? { code: extra.code } : {}),
    ...(typeof extra.status === "number" ? { status: extra.status } : {}),
  };
}
