/**
 * Field-aware BM25 (BM25F, Robertson & Zaragoza 2009) over the package fields, with a
 * popularity prior. Each field's term frequency is length-normalised and weighted, the
 * weighted sum is saturated once per term, and IDF is per ecosystem (a query is always
 * answered within one). In memory: postings hold the final per-document term weight, so
 * a query only adds up a few arrays. LanceDB's full-text index scores one column (or sums
 * independent per-column BM25) and hides IDF, which the relevance threshold needs.
 */
import type { Ecosystem } from "../packages/types.js";
import { nameTerms, nameWords, terms, wordSplitter, words, type Splitter } from "./text.js";

export const FIELDS = ["name", "summary", "imports", "keywords", "tags", "about", "questions"] as const;
export type Field = (typeof FIELDS)[number];

export interface LexicalDoc {
  package: string;
  ecosystem: Ecosystem;
  statement: string;
  fields: Record<Field, string>;
  /** 1 = most popular of its ecosystem, 0 = least. */
  popularity: number;
}

/** A stored or selected package row as the lexical index reads it (the name is its own field). */
export type PackageText = Pick<LexicalDoc, "package" | "ecosystem" | "statement" | "popularity"> & Record<Exclude<Field, "name">, string>;

export function lexicalDoc(r: PackageText): LexicalDoc {
  return {
    package: r.package,
    ecosystem: r.ecosystem,
    statement: r.statement,
    popularity: r.popularity,
    fields: { name: r.package, summary: r.summary, imports: r.imports, keywords: r.keywords, tags: r.tags, about: r.about, questions: r.questions },
  };
}

export interface LexicalParams {
  /** Weight of each field in the term frequency; 0 leaves the field out. */
  weights: Record<Field, number>;
  /** Length normalisation per field (0 = none, 1 = full). */
  b: Record<Field, number>;
  k1: number;
  /**
   * Added to the BM25F score divided by the query's IDF mass (so that it lies in 0–1 whatever
   * the query's length): prior × popularity^priorPower.
   */
  prior: number;
  priorPower: number;
}

export interface LexicalHit {
  doc: LexicalDoc;
  /** BM25F / the query's IDF mass, plus the popularity prior: the first-stage order. */
  score: number;
  /** BM25F / the query's IDF mass, without the prior (0–1). */
  bm25: number;
  /** Each field's own BM25 / the query's IDF mass, in FIELDS order: features for the reranker. */
  fieldScores: number[];
  /** Share of the query's IDF mass the document matched (0–1): the relevance threshold reads it. */
  coverage: number;
  /** The package name's words (stemmed, glued words split): the reranker compares them with the task. */
  nameWords: string[];
  /** The query's terms as this document's ecosystem weighs them (one object shared by a query's hits). */
  query: QueryTerms;
  /** Bit i set: the document has query term i (the first 32 terms). */
  matched: number;
}

export interface QueryTerms {
  terms: string[];
  idf: number[];
  /** Whether any document of the ecosystem has the term. */
  known: boolean[];
}

interface Postings {
  docs: Int32Array;
  weights: Float32Array;
  /** Per posting, FIELDS.length saturated single-field weights tf/(k1 + tf) quantised to 0–255. */
  fields: Uint8Array;
}

const NF = FIELDS.length;

function fieldTerms(field: Field, text: string, split: Splitter): string[] {
  return field === "name" || field === "imports" ? text.split(/\s+/).filter(Boolean).flatMap((n) => nameTerms(n, split)) : terms(text);
}

/** How many summaries of the ecosystem have each word: what glued names are split into. */
function summaryVocabulary(docs: LexicalDoc[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of docs) for (const w of new Set(words(d.fields.summary))) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** One ecosystem's postings. */
class Shard {
  readonly postings = new Map<string, Postings>();
  readonly docs: LexicalDoc[] = [];
  /** Each document's name words (nameWords), for the reranker. */
  readonly names: string[][];
  readonly split: Splitter;
  private readonly idfs = new Map<string, number>();

  constructor(docs: LexicalDoc[], p: LexicalParams) {
    this.docs = docs;
    this.split = wordSplitter(summaryVocabulary(docs));
    this.names = docs.map((d) => nameWords(d.package, this.split));
    const perDoc = docs.map((d) => FIELDS.map((f) => (p.weights[f] > 0 ? fieldTerms(f, d.fields[f], this.split) : [])));
    const building = new Map<string, { docs: number[]; weights: number[]; fields: number[] }>();
    const avg = FIELDS.map((_, fi) => perDoc.reduce((s, fs) => s + fs[fi]!.length, 0) / Math.max(1, docs.length) || 1);
    perDoc.forEach((fs, di) => {
      // Per term: the weighted BM25F frequency, and each field's own length-normalised frequency.
      const tf = new Map<string, { all: number; per: number[] }>();
      fs.forEach((ts, fi) => {
        const f = FIELDS[fi]!;
        const norm = 1 - p.b[f] + (p.b[f] * ts.length) / avg[fi]!;
        for (const t of ts) {
          let e = tf.get(t);
          if (!e) tf.set(t, (e = { all: 0, per: new Array<number>(NF).fill(0) }));
          e.all += p.weights[f] / norm;
          e.per[fi]! += 1 / norm;
        }
      });
      for (const [t, { all, per }] of tf) {
        let post = building.get(t);
        if (!post) building.set(t, (post = { docs: [], weights: [], fields: [] }));
        post.docs.push(di);
        post.weights.push(all / (p.k1 + all));
        for (const x of per) post.fields.push(Math.round((255 * x) / (p.k1 + x)));
      }
    });
    const n = docs.length;
    for (const [t, post] of building) {
      this.postings.set(t, { docs: Int32Array.from(post.docs), weights: Float32Array.from(post.weights), fields: Uint8Array.from(post.fields) });
      this.idfs.set(t, Math.log(1 + (n - post.docs.length + 0.5) / (post.docs.length + 0.5)));
    }
  }

  /** IDF of a term; a term no document has gets the rarest possible IDF. */
  idf(term: string): number {
    return this.idfs.get(term) ?? Math.log(1 + (this.docs.length + 0.5) / 0.5);
  }
}

export class LexicalIndex {
  private readonly shards = new Map<Ecosystem, Shard>();

  constructor(
    docs: LexicalDoc[],
    private readonly params: LexicalParams,
  ) {
    for (const eco of new Set(docs.map((d) => d.ecosystem))) {
      this.shards.set(eco, new Shard(docs.filter((d) => d.ecosystem === eco), params));
    }
  }

  get size(): number {
    let n = 0;
    for (const s of this.shards.values()) n += s.docs.length;
    return n;
  }

  /**
   * The relevance of any document to a query: the share of the query's IDF mass (within
   * the document's ecosystem) that the document's fields contain.
   */
  coverage(query: string, ecosystem?: Ecosystem): (doc: LexicalDoc) => number {
    const qterms = [...new Set(terms(query))];
    const weights = this.params.weights;
    return (doc) => {
      const shard = this.shards.get(doc.ecosystem);
      if (!shard || qterms.length === 0 || (ecosystem && doc.ecosystem !== ecosystem)) return 0;
      const have = new Set(FIELDS.flatMap((f) => (weights[f] > 0 ? fieldTerms(f, doc.fields[f], shard.split) : [])));
      let total = 0;
      let matched = 0;
      for (const t of qterms) {
        const idf = shard.idf(t);
        total += idf;
        if (have.has(t)) matched += idf;
      }
      return matched / total;
    };
  }

  /** Best `limit` documents for the query terms, in one ecosystem or all. */
  search(query: string, opts: { ecosystem?: Ecosystem; limit: number; prior?: number }): LexicalHit[] {
    const qterms = [...new Set(terms(query))];
    if (qterms.length === 0) return [];
    const hits: LexicalHit[] = [];
    for (const [eco, shard] of this.shards) {
      if (opts.ecosystem && eco !== opts.ecosystem) continue;
      hits.push(...this.searchShard(shard, qterms, opts.limit, opts.prior ?? this.params.prior));
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, opts.limit);
  }

  private searchShard(shard: Shard, qterms: string[], limit: number, prior: number): LexicalHit[] {
    // Typed accumulators over the shard: a query touches thousands of postings.
    const n = shard.docs.length;
    const score = new Float64Array(n);
    const matched = new Float64Array(n);
    const mask = new Uint32Array(n);
    const touched: number[] = [];
    const used: { idf: number; post: Postings }[] = [];
    const query: QueryTerms = { terms: qterms, idf: [], known: [] };
    let total = 0;
    qterms.forEach((t, ti) => {
      const idf = shard.idf(t);
      const post = shard.postings.get(t);
      query.idf.push(idf);
      query.known.push(post !== undefined);
      total += idf;
      if (!post) return;
      used.push({ idf, post });
      const bit = ti < 32 ? 1 << ti : 0;
      const { docs, weights } = post;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i]!;
        if (matched[d] === 0) touched.push(d);
        score[d]! += idf * weights[i]!;
        matched[d]! += idf;
        mask[d]! |= bit;
      }
    });
    const { priorPower } = this.params;
    // Bounded top-k: a common word touches tens of thousands of documents, k is small.
    const top: { d: number; s: number }[] = [];
    for (const d of touched) {
      const s = score[d]! / total + prior * shard.docs[d]!.popularity ** priorPower;
      if (top.length === limit && s <= top[limit - 1]!.s) continue;
      let i = top.length < limit ? top.length : limit - 1;
      while (i > 0 && top[i - 1]!.s < s) {
        if (i < limit) top[i] = top[i - 1]!;
        i -= 1;
      }
      top[i] = { d, s };
    }
    const fieldScores = fieldScoresOf(top.map((x) => x.d), used, total);
    return top.map(({ d, s }, i) => ({
      doc: shard.docs[d]!,
      score: s,
      bm25: score[d]! / total,
      fieldScores: fieldScores[i]!,
      coverage: matched[d]! / total,
      nameWords: shard.names[d]!,
      query,
      matched: mask[d]!,
    }));
  }
}

/** Each field's own BM25 for a few documents, from the quantised per-field weights of the postings. */
function fieldScoresOf(docs: number[], used: { idf: number; post: Postings }[], total: number): number[][] {
  const slot = new Map(docs.map((d, i) => [d, i]));
  const out = docs.map(() => new Array<number>(NF).fill(0));
  for (const { idf, post } of used) {
    for (let i = 0; i < post.docs.length; i++) {
      const k = slot.get(post.docs[i]!);
      if (k === undefined) continue;
      const row = out[k]!;
      for (let f = 0; f < NF; f++) row[f]! += (idf * post.fields[i * NF + f]!) / 255 / total;
    }
  }
  return out;
}
