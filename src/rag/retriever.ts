/**
 * The Retriever the RAG mitigation calls. Opening it reads the package table once and
 * builds the in-memory lexical index (BM25F + popularity prior); `fulltext` mode answers
 * from it alone. `vector` and `hybrid` also embed the query and search the table's
 * vectors (an index built for those modes). Every mode drops statements below the
 * relevance threshold and re-checks each statement before it can reach a prompt.
 */
import type * as lancedb from "@lancedb/lancedb";
import type { Ecosystem } from "../packages/types.js";
import type { RagConfig } from "./config.js";
import { loadEmbedder, type Embedder } from "./embedder.js";
import { LexicalIndex, lexicalDoc, type LexicalDoc, type LexicalHit } from "./lexical.js";
import { readManifest } from "./manifest.js";
import { firstStage, loadRanker, rerank, type RankerModel } from "./ranker.js";
import { safeStatement } from "./sanitize.js";
import { terms } from "./text.js";
import { connectIndex, openTableIfExists, readRows, vectorHits } from "./store.js";
import type { RetrieveInput, RetrievedStatement, Retriever } from "./types.js";

export interface RetrieverDeps {
  /** Reuse an embedder already loaded (tests, the builder); loaded from config otherwise (vector modes only). */
  embedder?: Embedder;
}

interface Ranked {
  key: string;
  score: number;
}

/** Reciprocal rank fusion: sum of w/(k + rank) over the lists a key appears in. */
export function fuseRrf(lists: Ranked[][], k: number, weights: number[] = []): Ranked[] {
  const fused = new Map<string, number>();
  lists.forEach((list, li) => {
    list.forEach((hit, rank) => fused.set(hit.key, (fused.get(hit.key) ?? 0) + (weights[li] ?? 1) / (k + rank + 1)));
  });
  return [...fused.entries()].map(([key, score]) => ({ key, score })).sort((a, b) => b.score - a.score);
}

const keyOf = (ecosystem: Ecosystem, pkg: string): string => `${ecosystem}:${pkg}`;

export class RagRetriever implements Retriever {
  private table?: lancedb.Table;
  private db?: lancedb.Connection;
  private embedder?: Embedder;
  private lexical?: LexicalIndex;
  private ranker?: RankerModel;
  private readonly docs = new Map<string, LexicalDoc>();
  private hasVectors = false;
  private readonly initPromise: Promise<void>;

  constructor(
    private readonly config: RagConfig,
    private readonly deps: RetrieverDeps = {},
  ) {
    this.initPromise = this.init();
    // Failures surface on the first retrieve(); an unhandled rejection would kill the process.
    this.initPromise.catch(() => undefined);
  }

  private async init(): Promise<void> {
    this.db = await connectIndex(this.config);
    const table = await openTableIfExists(this.db, this.config.table);
    const manifest = await readManifest(this.db);
    if (!table || !manifest?.complete) {
      table?.close();
      throw new Error(`RAG index "${this.config.table}" at ${this.config.indexUri} is missing or incomplete; run \`slopguard rag-index build\``);
    }
    this.table = table;
    if (this.config.ranker) this.ranker = loadRanker(this.config.ranker);
    this.hasVectors = manifest.dims > 0;
    const docs = (await readRows(table)).map(lexicalDoc);
    for (const d of docs) this.docs.set(keyOf(d.ecosystem, d.package), d);
    this.lexical = new LexicalIndex(docs, this.config.lexical);
    if (this.hasVectors && this.config.mode !== "fulltext") this.embedder = this.deps.embedder ?? (await loadEmbedder(this.config.embedder));
  }

  /** Resolves once the table is read and the lexical index built; rejects with the reason it is not. */
  whenReady(): Promise<void> {
    return this.initPromise;
  }

  ready(): boolean {
    return this.lexical !== undefined;
  }

  /** How many packages the index holds (0 before it is ready). */
  size(): number {
    return this.lexical?.size ?? 0;
  }

  async retrieve(input: RetrieveInput): Promise<RetrievedStatement[]> {
    await this.initPromise;
    const lexical = this.lexical as LexicalIndex;
    const k = input.k ?? this.config.topK;
    const mode = input.mode ?? this.config.mode;
    const minRelevance = input.minRelevance ?? this.config.minRelevance;
    const query = input.query.slice(0, 4000);
    const limit = Math.max(this.config.hybridCandidates, k * 4);
    let ranked = this.fulltextRanking(query, input.ecosystem, limit);
    if (mode !== "fulltext") {
      const vec = await this.vectorRanking(query, input.ecosystem, limit);
      const { vector: wv, fulltext: wf } = this.config.rrfWeights;
      ranked = mode === "vector" ? vec : fuseRrf([vec, ranked], this.config.rrfK, [wv, wf]);
    }
    const coverage = lexical.coverage(query, input.ecosystem);
    const out: RetrievedStatement[] = [];
    for (const r of ranked) {
      const doc = this.docs.get(r.key);
      if (!doc || coverage(doc) < minRelevance) continue;
      const statement = safeStatement(doc.statement, doc.package);
      if (!statement) continue;
      out.push({ statement, package: doc.package, ecosystem: doc.ecosystem, score: r.score, relevance: round(coverage(doc)) });
      if (out.length === k) break;
    }
    return out;
  }

  /** BM25F + prior candidates, re-ordered by the learned ranker when one is configured. */
  private fulltextRanking(query: string, ecosystem: Ecosystem | undefined, limit: number): Ranked[] {
    const lexical = this.lexical as LexicalIndex;
    if (!this.ranker) {
      return lexical.search(query, { ecosystem, limit }).map((h) => ({ key: keyOf(h.doc.ecosystem, h.doc.package), score: h.score }));
    }
    const { candidates, withoutPrior } = this.config.rerank;
    const hits = firstStage(lexical, query, { ecosystem, limit: Math.max(candidates, limit), withoutPrior });
    return rerank(this.ranker, hits, new Set(terms(query))).map((r) => ({ key: keyOf(r.hit.doc.ecosystem, r.hit.doc.package), score: r.score }));
  }

  private async vectorRanking(query: string, ecosystem: Ecosystem | undefined, limit: number): Promise<Ranked[]> {
    if (!this.hasVectors || !this.embedder) {
      throw new Error(`the RAG index at ${this.config.indexUri} has no vectors; build it with rag.mode ${this.config.mode === "fulltext" ? "vector or hybrid" : this.config.mode}`);
    }
    const [vector] = await this.embedder.embed([query]);
    const hits = await vectorHits(this.table as lancedb.Table, { vector: vector as Float32Array, ecosystem, limit, search: this.config.vectorSearch });
    return hits.map((h) => ({ key: keyOf(h.ecosystem, h.package), score: h.similarity }));
  }

  async close(): Promise<void> {
    await this.initPromise.catch(() => undefined);
    this.table?.close();
    this.db?.close();
    this.table = undefined;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type { LexicalHit };
