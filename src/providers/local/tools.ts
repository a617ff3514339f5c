/**
 * Tool definitions → node-llama-cpp function calling. Clients send full JSON Schema;
 * node-llama-cpp's grammar understands a subset (GbnfJsonSchema) and treats every
 * property as required. The conversion keeps what it understands, lets optional
 * properties be `null` (dropped again from the call the client gets), and widens
 * what it does not understand instead of failing the request.
 */
import type { ChatModelFunctions, GbnfJsonSchema } from "node-llama-cpp";
import type { ToolDefinition } from "../../core/parts.js";

type Schema = Record<string, unknown>;
const ANY: GbnfJsonSchema = { type: ["string", "number", "boolean", "null"] };
const MAX_DEPTH = 16;

export function toGbnfSchema(schema: unknown, depth = 0): GbnfJsonSchema {
  if (!schema || typeof schema !== "object" || depth > MAX_DEPTH) return ANY;
  const s = schema as Schema;
  const description = typeof s.description === "string" ? { description: s.description } : {};
  if ("const" in s && isScalar(s.const)) return { const: s.const, ...description };
  if (Array.isArray(s.enum) && s.enum.every(isScalar)) return { enum: s.enum, ...description };
  const union = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(union) && union.length) return { oneOf: union.map((u) => toGbnfSchema(u, depth + 1)), ...description };
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      const properties: Record<string, GbnfJsonSchema> = {};
      for (const [k, v] of Object.entries(props)) {
        const inner = toGbnfSchema(v, depth + 1);
        properties[k] = required.has(k) ? inner : { oneOf: [inner, { type: "null" }] };
      }
      const open = Object.keys(properties).length === 0 || s.additionalProperties === true;
      return { type: "object", properties, ...(open ? { additionalProperties: true } : {}), ...description };
    }
    case "array":
      return { type: "array", items: toGbnfSchema(s.items, depth + 1), ...pick(s, ["minItems", "maxItems"]), ...description };
    case "string":
      return { type, ...pick(s, ["minLength", "maxLength"]), ...description } as GbnfJsonSchema;
    case "number":
    case "integer":
    case "boolean":
    case "null":
      return { type, ...description };
    default:
      return ANY;
  }
}

/** The numeric bounds the grammar understands, copied when present. */
function pick(s: Schema, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) if (typeof s[k] === "number") out[k] = s[k];
  return out;
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || ["string", "number", "boolean"].includes(typeof v);
}

/** The function tools of a call, as node-llama-cpp functions (custom and provider tools have no JSON arguments). */
export function toFunctions(tools: readonly ToolDefinition[] | undefined): ChatModelFunctions | undefined {
  const fns = (tools ?? []).filter((t) => t.kind === "function");
  if (fns.length === 0) return undefined;
  const out: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const t of fns) out[t.name] = { ...(t.description ? { description: t.description } : {}), params: toGbnfSchema(t.inputSchema ?? { type: "object" }) };
  return out;
}

/**
 * A forced tool call (`tool_choice: required` or a named tool), as one JSON document
 * the grammar makes any model write: `{"name": …, "arguments": {…}}`.
 */
export function forcedCallSchema(tools: readonly ToolDefinition[], only?: string): GbnfJsonSchema {
  const fns = tools.filter((t) => t.kind === "function" && (!only || t.name === only));
  const options = fns.map((t) => ({ type: "object" as const, properties: { name: { const: t.name }, arguments: toGbnfSchema(t.inputSchema ?? { type: "object" }) } }));
  return options.length === 1 ? options[0]! : { oneOf: options };
}

/** Drops the `null`s that stand for optional properties the model left out. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}
