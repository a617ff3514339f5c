/**
 * Summaries and generated questions are data, never instructions: markup is
 * stripped and anything addressed to a model is rejected outright. Mirrors the
 * rules of scripts/select_packages.py so generator output gets the same treatment.
 */
const PROMPT_LIKE =
  /\b(ignore|disregard|forget) (all |any |the )?(previous|prior|above|earlier) (instructions|prompts?|messages?)|\byou are (now )?(an? |the )?(ai|assistant|language model|chatgpt|llm)\b|\bsystem prompt\b|<\|im_(start|end)\|>|\[\/?INST\]|<<\/?SYS>>|^\s*(system|assistant|user)\s*:|###\s*(instruction|system|response)|\bas an ai\b|\bdo anything now\b|\bjailbreak/i;

export function cleanText(input: string, maxLen = 240): string {
  let t = input.normalize("NFKC");
  t = t.replace(/<[^>]{0,200}>/g, " ");
  t = t.replace(/!\[[^\]]*\]\([^)]*\)/g, " ");
  t = t.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
  t = t.replace(/(https?|ftp):\/\/\S+|www\.\S+/g, " ");
  t = t.replace(/\S+@\S+\.\w+/g, " ");
  t = t.replace(/[`*_#>|~^{}\\]+/g, " ");
  // eslint-disable-next-line no-control-regex
  t = t.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e]/g, " ");
  t = t.replace(/[\u{1F000}-\u{1FAFF}\u{2600}-\u{27BF}]/gu, " ");
  t = t.replace(/\s+/g, " ").replace(/^[\s\-–—:;,.]+|[\s\-–—:;,.]+$/g, "");
  if (t.length > maxLen) t = t.slice(0, maxLen).replace(/\s+\S*$/, "").replace(/[\s,;:-]+$/, "");
  return t;
}

export function isPromptLike(text: string): boolean {
  return PROMPT_LIKE.test(text);
}

/** Cleaned text, or undefined when nothing usable (or something prompt-like) remains. */
export function sanitize(input: string, maxLen?: number): string | undefined {
  const t = cleanText(input, maxLen);
  if (!t || isPromptLike(t) || t.split(" ").length < 2) return undefined;
  return t;
}
