/**
 * Package summaries are written by whoever publishes a package and end up in a system
 * prompt, so they are data, never instructions. Rules (mirrored in
 * rag-index/scripts/descriptive.py, which cleans the shipped selection):
 * - markup, URLs, e-mail addresses, control/zero-width/bidi characters and brackets go;
 * - a summary with anything prompt-like (chat-template tokens, "ignore previous
 *   instructions", "you are an AI") is dropped whole;
 * - a sentence is dropped when it carries an install command, sends the reader to another
 *   package ("use X instead", "renamed to"), opens with a directive ("IMPORTANT:",
 *   "Always …", "Please …", "Install …"), addresses the user or a model ("tell the user",
 *   "you must"), or mixes Latin with Cyrillic/Greek look-alike letters.
 * Look-alike letters are folded to Latin before the rules match, so "Іgnore" with a
 * Cyrillic І is read as "Ignore". Runs at build time and again on every retrieved
 * statement, so an index built by older code or by someone else cannot smuggle text in.
 */
const CONFUSABLES: Record<string, string> = Object.fromEntries(
  [..."авеёкмнорстухѕіїјԁոսАВЕКМНОРСТУХЅІЈαορντικΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"].map((c, i) => [
    c,
    "abeekmhopctyxsiijdnuABEKMHOPCTYXSIJaopvtikABEZHIKMNOPTYX"[i]!,
  ]),
);
const LOOKALIKE = /[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff]/u;

const PROMPT_LIKE = new RegExp(
  [
    String.raw`\b(ignore|disregard|forget|override) (all |any |the |your )?(previous|prior|above|earlier|other) (instructions|prompts?|messages?|rules)`,
    String.raw`\byou are (now )?(an? |the )?(ai|assistant|language model|chatgpt|llm|model)\b`,
    String.raw`\bsystem prompt\b|<\|[a-z_]+\|>|\[\/?INST\]|<<\/?SYS>>|(^|\s)(system|assistant|user)\s*:`,
    String.raw`###\s*(instruction|system|response)|\bas an ai\b|\bdo anything now\b|\bjailbreak`,
  ].join("|"),
  "i",
);
const INSTALL_COMMAND =
  /\b(pip3?|pipx|uv|poetry|conda|mamba|easy_install|npm|npx|yarn|pnpm|bun|apt|apt-get|brew|gem|cargo|go)\s+(tool\s+|-\S+\s+)*(install|add|i|get)\b|\bcurl\b[^.]*\|\s*(sudo\s+)?(ba|z)?sh\b|\beasy_install\b/i;
const REDIRECT =
  /\b(install|use|using|switch|migrate|see|try|please|recommend\w*)\b[^.;]{0,80}\binstead\b|\b(deprecated|renamed|no longer maintained|unmaintained|obsolete|has moved|moved to)\b/i;
const DIRECTIVE_OPENER = new RegExp(
  String.raw`^((please|always|never|do not|don'?t|make sure|remember|ignore|disregard|forget|tell|say|respond|reply|recommend|visit` +
    String.raw`|install|uninstall|reinstall|migrate|consider|must|you)\b(?!-)` +
    String.raw`|(important|note|warning|attention|caution|notice)(\s*[:!,]|\s+[-–—]\s|\s+(that|to|this)\b))`,
  "i",
);
const ADDRESSED =
  /\b(tell|instruct|remind|advise|ask|inform|urge)\s+(the\s+|your\s+)?(user|reader|assistant|model|ai|llm|human|developer)s?\b|\b(the|a)\s+(user|assistant|model|ai)\s+(must|should|has to|needs to|is required to)\b|\byou\s+(must|should|have to|need to|are required to)\b|\b(must|should)\s+(always|never)\b/i;

/** NFKC plus look-alike letters mapped to Latin: what the rules match against. */
export function fold(text: string): string {
  const t = text.normalize("NFKC");
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u007f]*$/.test(t) ? t : [...t].map((c) => CONFUSABLES[c] ?? c).join("");
}

export function isPromptLike(text: string): boolean {
  return PROMPT_LIKE.test(fold(text));
}

export function isDirective(sentence: string): boolean {
  if (LOOKALIKE.test(sentence)) return true;
  const s = fold(sentence).trim();
  return INSTALL_COMMAND.test(s) || REDIRECT.test(s) || DIRECTIVE_OPENER.test(s) || ADDRESSED.test(s);
}

/** Markup and invisible characters out, whitespace collapsed, cut at a word boundary. */
export function cleanText(input: string, maxLen = 240): string {
  let t = input.normalize("NFKC");
  t = t.replace(/<[^>]{0,200}>/g, " ");
  t = t.replace(/!\[[^\]]*\]\([^)]*\)/g, " ");
  t = t.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
  t = t.replace(/(https?|ftp):\/\/\S+|www\.\S+/g, " ");
  t = t.replace(/\S+@\S+\.\w+/g, " ");
  t = t.replace(/[`*_#<>|~^{}\\]+/g, " ");
  // eslint-disable-next-line no-control-regex
  t = t.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g, " ");
  t = t.replace(/[\u{1F000}-\u{1FAFF}\u{2600}-\u{27BF}]/gu, " ");
  t = t.replace(/\s+/g, " ").replace(/^[\s\-–—:;,.]+|[\s\-–—:;,.]+$/g, "");
  if (t.length > maxLen) t = t.slice(0, maxLen).replace(/\s+\S*$/, "").replace(/[\s,;:-]+$/, "");
  return t;
}

/** The descriptive part of a cleaned text: directive sentences out ("" if none is left). */
export function descriptive(text: string): string {
  if (isPromptLike(text)) return "";
  const kept = text.split(/(?<=[.!?;])\s+/).filter((s) => s.trim() && !isDirective(s));
  return kept.join(" ").replace(/^[\s\-–—:;,.]+|[\s\-–—:;,.]+$/g, "");
}

/** Cleaned descriptive text, or undefined when nothing usable remains. */
export function sanitize(input: string, maxLen?: number): string | undefined {
  // Checked before cleaning too: cleaning removes the "#" of "### Instruction".
  if (isPromptLike(input)) return undefined;
  const t = descriptive(cleanText(input, maxLen));
  return t && /\p{L}/u.test(t) ? t : undefined;
}

const STATEMENT = /^Package (\S{1,214}) could answer questions about (.+)\.$/s;
const NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[A-Za-z0-9][A-Za-z0-9._~-]*$/;

/**
 * A retrieved statement as it may go into a prompt: the canonical form with a valid
 * package name and a descriptive text; rebuilt from the cleaned text when a sentence had
 * to go, undefined when nothing safe is left.
 */
export function safeStatement(statement: string, pkg: string): string | undefined {
  const m = STATEMENT.exec(statement);
  if (!m || m[1] !== pkg || !NAME.test(pkg)) return undefined;
  const about = sanitize(m[2]!);
  return about ? `Package ${pkg} could answer questions about ${about.replace(/[.\s]+$/, "")}.` : undefined;
}
