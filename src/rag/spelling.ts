/**
 * British spellings folded into American ones before stemming, so that "visualise data"
 * meets "data visualization" and "colour" meets "color". Porter's stemmer (the classic
 * algorithm and Snowball's English alike) knows only -ize: "visualise" stems to "visualis"
 * but "visualize" to "visual". Package summaries are mostly written in American English,
 * the tasks users type are not.
 *
 * Rules, not a dictionary: -ise/-yse verbs and their forms are regular (a word that only
 * looks like one, "promise" → "promize", is rewritten the same way in the index and in the
 * query, so it still matches itself); -our, -re, -ogue and -ence are closed lists.
 */

// -ise, -ised, -ising, -isation(s), -iser(s), -ises: visualise, normalise, tokenise, optimise.
// The stem before "is" has ≥ 3 letters so that rise, raise, noise and wise stay as they are.
const ISE = /^(\p{L}{3,})is(e|es|ed|ing|ation|ations|er|ers)$/u;
// -yse: analyse, paralyse, catalyse (and their forms).
const YSE = /^(\p{L}*ly)s(e|es|ed|ing|er|ers)$/u;
// -our → -or, for the words that have it (four, hour, your, tour and pour do not).
const OUR = /^(col|flav|behavi|fav|hon|hum|lab|neighb|rum|harb|arm|vap|od|sav|val|vig|endeav|parl|tum)our/u;
// -re → -er: centre, metre, litre, fibre (metres; centred, centring → centered, centering).
const RE_STEMS = "(cent|met|lit|fib|theat|calib|spect|sab|lust|meag)";
const RE = new RegExp(`^${RE_STEMS}re(s)?$`, "u");
const RE_FORMS = new RegExp(`^${RE_STEMS}r(ed|ing)$`, "u");
// -ogue → -og: catalogue, dialogue, analogue.
const OGUE = /^(catal|dial|anal|monol|prol|epil)ogue(s)?$/u;
// -ence → -ense: licence, defence, offence.
const ENCE = /^(lic|def|off|pret)ence(s|d)?$/u;

// Whole words that differ otherwise.
const WORDS: ReadonlyMap<string, string> = new Map([
  ["grey", "gray"], ["greyscale", "grayscale"], ["programme", "program"], ["programmes", "programs"],
  ["judgement", "judgment"], ["ageing", "aging"], ["artefact", "artifact"], ["artefacts", "artifacts"],
  ["cheque", "check"], ["cheques", "checks"], ["enrol", "enroll"], ["fulfil", "fulfill"],
  ["aluminium", "aluminum"], ["mould", "mold"], ["plough", "plow"], ["tyre", "tire"], ["tyres", "tires"],
]);

/** The American spelling of a lower-cased word, or the word itself. */
export function american(word: string): string {
  if (word.length < 4) return word;
  return WORDS.get(word)
    ?? word
      .replace(ISE, "$1iz$2")
      .replace(YSE, "$1z$2")
      .replace(OUR, "$1or")
      .replace(RE, "$1er$2")
      .replace(RE_FORMS, "$1er$2")
      .replace(OGUE, "$1og$2")
      .replace(ENCE, "$1ense$2");
}
