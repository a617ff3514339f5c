/**
 * Field-aware BM25 (BM25F, Robertson & Zaragoza 2009) over the package fields, with a
 * popularity prior. Each field's term frequency is length-normalised and weighted, the
 * weighted sum is saturated once per term, and IDF is per ecosystem (a query is always
 * answered within one). In memory: postings hold the final per-document term weight, so
 * a query only adds up a few arrays. LanceDB's full-text index scores one column (or sums
 * independent per-column BM25) and hides IDF, which the relevance threshold needs.
 */
import type { Ecosystem } from "../packages/types.js";
import { nameTerms, terms } from "./text.js";

export const FIELDS = ["name", "summary", "imports", "keywords", "questions"] as const;
export type Field = (typeof FIELDS)[number];

export interface LexicalDoc {
  package: string;
  ecosystem: Ecosystem;
  statement: string;
  fields: Record<Field, string>;
  /** 1 = most popular of its ecosystem, 0 = least. */
  popularity: number;
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
  score: number;
  /** Share of the query's IDF mass the document matched (0–1): the relevance threshold reads it. */
  coverage: number;
}

interface Postings {
  docs: Int32Array;
  weights: Float32Array;
}

function fieldTerms(field: Field, text: string): string[] {
  return field === "name" || field === "imports" ? text.split(/\s+/).filter(Boolean).flatMap(nameTerms) : terms(text);
}

/** One ecosystem's postings. */
class Shard {
  readonly postings = new Map<string, Postings>();
  readonly docs: LexicalDoc[] = [];
  private readonly idfs = new Map<string, number>();

  constructor(docs: LexicalDoc[], p: LexicalParams) {
    this.docs = docs;
    const perDoc = docs.map((d) => FIELDS.map((f) => (p.weights[f] > 0 ? fieldTerms(f, d.fields[f]) : [])));
    const building = new Map<string, { docs: number[]; weights: number[] }>();
    const avg = FIELDS.map((_, fi) => perDoc.reduce((s, fs) => s + fs[fi]!.length, 0) / Math.max(1, docs.length) || 1);
    perDoc.forEach((fs, di) => {
      const tf = new Map<string, number>();
      fs.forEach((ts, fi) => {
        const f = FIELDS[fi]!;
        const norm = 1 - p.b[f] + (p.b[f] * ts.length) / avg[fi]!;
        for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + p.weights[f] / norm);
      });
      for (const [t, w] of tf) {
        let post = building.get(t);
        if (!post) building.set(t, (post = { docs: [], weights: [] }));
        post.docs.push(di);
        post.weights.push(w / (p.k1 + w));
      }
    });
    const n = docs.length;
    for (const [t, post] of building) {
      this.postings.set(t, { docs: Int32Array.from(post.docs), weights: Float32Array.from(post.weights) });
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
      const have = new Set(FIELDS.flatMap((f) => (weights[f] > 0 ? fieldTerms(f, doc.fields[f]) : [])));
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
    const touched: number[] = [];
    let total = 0;
    for (const t of qterms) {
      const idf = shard.idf(t);
      total += idf;
      const post = shard.postings.get(t);
      if (!post) continue;
      const { docs, weights } = post;
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i]!;
        if (matched[d] === 0) touched.push(d);
        score[d]! += idf * weights[i]!;
        matched[d]! += idf;
      }
    }
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
    return top.map(({ d, s }) => ({ doc: shard.docs[d]!, score: s, coverage: matched[d]! / total }));
  }
}
