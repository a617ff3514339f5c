/**
 * Tool definitions for a Responses upstream. A client of this API gets its own tools
 * back as it sent them, namespaces regrouped; tools of another API are translated.
 * Built-in tools (`web_search`, …) only ever reach an upstream of the API they belong to.
 */
import type { ToolDefinition } from "../../core/parts.js";
import { defined } from "../chat/request.js";
import { API, type Raw } from "./items.js";

export function encodeTools(tools: readonly ToolDefinition[]): Raw[] {
  const out: Raw[] = [];
  let namespace: Raw | undefined;
  for (const t of tools) {
    const raw = t.native?.api === API ? t.native.raw : undefined;
    if (raw?.type === "namespace") {
      // Members of one namespace were flattened next to each other: put them back in one.
      if (namespace && namespace.name === raw.name) (namespace.tools as Raw[]).push(...(raw.tools as Raw[]));
      else out.push((namespace = { ...raw, tools: [...(raw.tools as Raw[])] }));
      continue;
    }
    namespace = undefined;
    if (raw) out.push({ ...raw });
    else if (t.kind === "custom") out.push({ type: "custom", ...defined({ name: t.name, description: t.description }) });
    // Responses function tools default to strict, which rejects most schemas written for chat.
    else if (t.kind === "function") out.push({ type: "function", ...defined({ name: t.name, description: t.description }), parameters: t.inputSchema ?? { type: "object", properties: {} }, strict: false });
  }
  return out;
}
