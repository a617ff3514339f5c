"""Summaries are written by whoever publishes a package: keep only descriptive text.

Mirror of src/rag/sanitize.ts (the TypeScript side runs the same rules again at build and
query time; test/rag/sanitize.test.ts checks that the shipped data is a fixed point of it).
A sentence is dropped when it carries an install command, redirects the reader to another
package, is addressed to the reader or a model, or mixes Latin with look-alike letters;
a summary with anything prompt-like is dropped whole.
"""
import re
import unicodedata

# Cyrillic/Greek letters that look like Latin ones: folded before the rules match, so that
# "Іgnore" (Cyrillic І) is read as "Ignore".
CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ո": "n", "ս": "u",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t",
    "ι": "i", "κ": "k", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
LOOKALIKE = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f\u0530-\u058f\u13a0-\u13ff]")

PROMPT_LIKE = re.compile(
    r"\b(ignore|disregard|forget|override) (all |any |the |your )?(previous|prior|above|earlier|other) (instructions|prompts?|messages?|rules)"
    r"|\byou are (now )?(an? |the )?(ai|assistant|language model|chatgpt|llm|model)\b"
    r"|\bsystem prompt\b|<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>|(^|\s)(system|assistant|user)\s*:"
    r"|###\s*(instruction|system|response)|\bas an ai\b|\bdo anything now\b|\bjailbreak",
    re.I,
)
INSTALL_COMMAND = re.compile(
    r"\b(pip3?|pipx|uv|poetry|conda|mamba|easy_install|npm|npx|yarn|pnpm|bun|apt|apt-get|brew|gem|cargo|go)\s+"
    r"(tool\s+|-\S+\s+)*(install|add|i|get)\b|\bcurl\b[^.]*\|\s*(sudo\s+)?(ba|z)?sh\b|\beasy_install\b",
    re.I,
)
REDIRECT = re.compile(
    r"\b(install|use|using|switch|migrate|see|try|please|recommend\w*)\b[^.;]{0,80}\binstead\b"
    r"|\b(deprecated|renamed|no longer maintained|unmaintained|obsolete|has moved|moved to)\b",
    re.I,
)
DIRECTIVE_OPENER = re.compile(
    r"^((please|always|never|do not|don'?t|make sure|remember|ignore|disregard|forget|tell|say|respond|reply|recommend|visit"
    r"|install|uninstall|reinstall|migrate|consider|must|you)\b(?!-)"
    r"|(important|note|warning|attention|caution|notice)(\s*[:!,]|\s+[-–—]\s|\s+(that|to|this)\b))",
    re.I,
)
ADDRESSED = re.compile(
    r"\b(tell|instruct|remind|advise|ask|inform|urge)\s+(the\s+|your\s+)?(user|reader|assistant|model|ai|llm|human|developer)s?\b"
    r"|\b(the|a)\s+(user|assistant|model|ai)\s+(must|should|has to|needs to|is required to)\b"
    r"|\byou\s+(must|should|have to|need to|are required to)\b|\b(must|should)\s+(always|never)\b",
    re.I,
)
SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(CONFUSABLES)


def is_prompt_like(text: str) -> bool:
    return bool(PROMPT_LIKE.search(fold(text)))


def is_directive(sentence: str) -> bool:
    if LOOKALIKE.search(sentence):
        return True
    s = fold(sentence).strip()
    return bool(INSTALL_COMMAND.search(s) or REDIRECT.search(s) or DIRECTIVE_OPENER.search(s) or ADDRESSED.search(s))


def descriptive(summary: str) -> str:
    """The summary without directive sentences ('' when none is left or it is prompt-like)."""
    if is_prompt_like(summary):
        return ""
    kept = [s for s in SENTENCE_SPLIT.split(summary) if s.strip() and not is_directive(s)]
    return " ".join(kept).strip(" -–—:;,.")
