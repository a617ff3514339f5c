/**
 * Prompt templates: config defaults (the paper's wording), overridden by the
 * mitigation config, overridden again per model (`ModelConfig.templates`).
 */
import { DEFAULT_TEMPLATES, TEMPLATE_KEYS, type TemplateKey } from "./config.js";
import type { Ecosystem } from "../packages/types.js";

export type Templates = Record<TemplateKey, string>;

export function resolveTemplates(...layers: Array<Partial<Record<string, string | undefined>> | undefined>): Templates {
  const out: Templates = { ...DEFAULT_TEMPLATES };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (value !== undefined && (TEMPLATE_KEYS as string[]).includes(key)) out[key as TemplateKey] = value;
    }
  }
  return out;
}

/** Model template keys that are not ours are a config mistake worth failing on at startup. */
export function unknownTemplateKeys(templates: Record<string, string>): string[] {
  return Object.keys(templates).filter((k) => !(TEMPLATE_KEYS as string[]).includes(k));
}

/** `{name}` placeholders; unknown placeholders stay as written so a typo is visible. */
export function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

export function languageWord(ecosystem: Ecosystem | undefined): string {
  return ecosystem === "npm" ? "npm" : "Python";
}
