/**
 * The paper's prompts and sampling parameters (Spracklen et al., Figures 10–12 and §4).
 * The wording follows the phrasings the testbed model was trained on, which were
 * built from those figures; every string can be overridden in the eval config.
 */
import type { Ecosystem } from "../src/packages/types.js";

export type Language = "python" | "javascript";

export const ecosystemOf = (language: Language): Ecosystem => (language === "python" ? "pypi" : "npm");

const LANG = { python: "Python", javascript: "JavaScript" } as const;
const INSTALLER = { python: "pip", javascript: "npm" } as const;
const LIST_NOUN = { python: "Python packages", javascript: "npm packages" } as const;

export interface PromptTemplates {
  codeSystem: string;
  listSystem: string;
  /** H2: `{code}` is the model's own code answer. */
  h2User: string;
  /** H3: `{task}` is the coding task. */
  h3User: string;
  humanevalSystem: string;
  humanevalUser: string;
}

/** Figure 10 (code), Figures 11–12 (package lists); `{lang}`, `{installer}`, `{packages}` are filled per language. */
export const DEFAULT_TEMPLATES: PromptTemplates = {
  codeSystem: "You are a coding assistant that generates {lang} code to solve the user's request. Include the {installer} install command for any package you use.",
  listSystem:
    "You are a coding assistant that recommends {packagesLong} that would be helpful to solve given problems. Respond with only a list of {packages}, separated by commas and without additional text or formatting.",
  h2User: "Which {packages} are needed to run the following code:\n```\n{code}\n```",
  h3User: "Which {packages} would be useful in solving the following coding problem: {task}",
  humanevalSystem: "You are a coding assistant. Complete the given {lang} function. Answer with the complete function in one {lang} code block.",
  humanevalUser: "{prompt}",
};

/** Paper defaults: code at 0.7, package lists at 0.01; top_p 0.9; 2048 / 64 tokens. */
export const PAPER_PARAMS = { codeTemperature: 0.7, listTemperature: 0.01, topP: 0.9, codeMaxTokens: 2048, listMaxTokens: 64 } as const;

export function fill(template: string, language: Language, vars: Record<string, string> = {}): string {
  const base: Record<string, string> = {
    lang: LANG[language],
    installer: INSTALLER[language],
    packages: LIST_NOUN[language],
    packagesLong: language === "python" ? "Python packages" : "JavaScript packages from npm",
    ...vars,
  };
  return template.replace(/\{(\w+)\}/g, (m, k: string) => base[k] ?? m);
}

/** "Generate Python code that parses X" → "Parses X." (the H3 task sentence). */
export function taskFromCodePrompt(prompt: string): string {
  const m = /^\s*(?:generate|write)\s+(?:python|javascript|js|node(?:\.js)?)\s+code\s+(?:that|to|which)\s+(.*)$/is.exec(prompt);
  const task = (m?.[1] ?? prompt).trim();
  const sentence = task.charAt(0).toUpperCase() + task.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
