/**
 * A tool call's arguments: JSON as the model wrote it, possibly cut off or broken, or the
 * free text of a custom tool. Walks are iterative: a client controls the nesting depth.
 */
export type Parsed =
  | { kind: "json"; value: Record<string, unknown> }
  /** Not JSON at all: a custom tool's raw input. */
  | { kind: "raw"; text: string }
  /** Looked like a JSON object but did not parse (or is no object): its string literals, escapes undone. */
  | { kind: "malformed"; strings: string[] };

const JSON_ESCAPE = /\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/g;
const SIMPLE: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

export function parseArgs(input: string): Parsed {
  const t = input.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return { kind: "raw", text: input };
  try {
    const value: unknown = JSON.parse(t);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return { kind: "json", value: value as Record<string, unknown> };
    return { kind: "malformed", strings: literals(t) };
  } catch {
    return { kind: "malformed", strings: literals(t) };
  }
}

/** Every string literal of broken JSON, escapes undone; the last one may be cut off (no closing quote). */
function literals(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)(?:"|\\?$)/g)) {
    out.push(m[1]!.replace(JSON_ESCAPE, (_, e: string) => SIMPLE[e] ?? String.fromCharCode(parseInt(e.slice(1), 16))));
  }
  return out;
}

export interface Arg<T = unknown> {
  value: T;
  /** The path as written in a location: `command`, `input.patch`. */
  path: string;
}

/** The first of `names` (keys or dotted paths) present in the arguments. */
export function argAt(args: Record<string, unknown>, names: string[]): Arg | undefined {
  for (const name of names) {
    let v: unknown = args;
    for (const key of name.split(".")) {
      v = v !== null && typeof v === "object" && !Array.isArray(v) && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
    }
    if (v !== undefined && v !== null) return { value: v, path: name };
  }
  return undefined;
}

/** String values under the given keys (every string when `only` is left out), with their paths. */
export function stringLeaves(args: Record<string, unknown>, only?: string[]): Arg<string>[] {
  const out: Arg<string>[] = [];
  const roots: [unknown, string][] = only ? only.flatMap((k) => (Object.hasOwn(args, k) ? [[args[k], k] as [unknown, string]] : [])) : Object.entries(args).map(([k, v]) => [v, k]);
  const stack = roots.reverse();
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") out.push({ value: v, path });
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], `${path}.${entries[i]![0]}`]);
    }
  }
  return out;
}
