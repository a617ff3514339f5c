/**
 * Words for the lexical index: NFKC, lower case, split on anything that is not a
 * letter or digit, English stop words out, Porter stems (`stemmer`, the classic
 * algorithm) so that "plots" meets "plotting" and "scraping" meets "scrape".
 */
import { stemmer } from "stemmer";

// Function words, and words every coding request or package summary carries, which
// would otherwise match everything ("Generate Python code that …", "A library for …").
const STOP = new Set(
  `a an the and or but if of to for in on at by with from as into onto via per than then so such
  is are was were be been being am do does did done doing have has had having can could will would
  shall should may might must it its this that these those there here what which who whom whose
  when where why how all any both each few more most other some no nor not only own same too very
  i me my we our you your he she they them their his her us also just about over under again
  further once up down out off above below between through during before after while because
  until against`.split(/\s+/),
);

/** Lower-cased words (letters and digits), in order, stop words kept. */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const stems = new Map<string, string>();

/** Porter stem, cached: the index stems millions of words at build time. */
export function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = /^\p{N}+$/u.test(word) || word.length <= 3 ? word : stemmer(word);
    if (stems.size < 500_000) stems.set(word, s);
  }
  return s;
}

/** Index terms of a text: words without stop words, stemmed. */
export function terms(text: string): string[] {
  return words(text).filter((w) => !STOP.has(w)).map(stem);
}

// Ecosystem prefixes glued to a word in package names: pyyaml, pytest, eslint, ioredis, jsdom, nodemailer.
const NAME_PREFIX = /^(python|py(?!thon)|node|js|es|io|ts|lib(?!rar))(?=[a-z]{3,}$)/;

/**
 * Terms of a package name: its parts ("scikit-learn" → scikit, learn; "@babel/core" →
 * babel, core), each part also without a glued ecosystem prefix ("pyyaml" → yaml,
 * "eslint" → lint), and the whole name without separators ("scikitlearn", "socketio"), so
 * a request that writes the name either way, or names the thing it is for, finds it.
 */
export function nameTerms(name: string): string[] {
  const parts = words(name.replace(/^@/, ""));
  const joined = parts.join("");
  const out = parts.map(stem);
  for (const p of parts) {
    const bare = p.replace(NAME_PREFIX, "");
    if (bare !== p) out.push(stem(bare));
  }
  if (parts.length > 1 && joined.length > 2) out.push(joined);
  return out;
}
