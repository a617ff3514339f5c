/**
 * The Retriever the RAG mitigation calls: vector, full-text or hybrid search over
 * the statement table, filtered by ecosystem, one statement per package.
 */
import type * as lancedb from "@lancedb/lancedb";
import type { RagConfig } from "./config.js";
import { loadEmbedder, type Embedder } from "./embedder.js";
import { connectIndex, fulltextHits, openTableIfExists, vectorHits, type Hit } from "./store.js";
import type { RetrieveInput, RetrievedStatement, Retriever } from "./types.js";

export interface RetrieverDeps {
  /** Reuse an embedder already loaded (tests, the builder); loaded from config otherwise. */
  embedder?: Embedder;
}

/**
 * Reciprocal rank fusion over package rankings: sum of 1/(k + rank) over the lists
 * a package appears in. Lists must already hold one hit per package.
 */
export function fuseRrf(lists: Hit[][], k: number, weights: number[] = []): Hit[] {
  const fused = new Map<string, Hit>();
  lists.forEach((list, li) => {
    const w = weights[li] ?? 1;
    list.forEach((hit, rank) => {
      const key = `${hit.ecosystem}:${hit.package}`;
      const prev = fused.get(key);
      const add = w / (k + rank + 1);
      fused.set(key, prev ? { ...prev, score: prev.score + add } : { ...hit, score: add });
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/** Several statements describe one package; five slots should name five packages. */
export function onePerPackage(hits: Hit[], k: number): Hit[] {
  const seen = new Set<string>();
  const out: Hit[] = [];
  for (const hit of hits) {
    const key = `${hit.ecosystem}:${hit.package}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(hit);
    if (out.length === k) break;
  }
  return out;
}

export class RagRetriever implements Retriever {
  private table?: lancedb.Table;
  private db?: lancedb.Connection;
  private embedder?: Embedder;
  private readonly initPromise: Promise<void>;

  constructor(
    private readonly config: RagConfig,
    deps: RetrieverDeps = {},
  ) {
    this.embedder = deps.embedder;
    this.initPromise = this.init();
    // Failures surface on the first retrieve(); an unhandled rejection would kill the process.
    this.initPromise.catch(() => undefined);
  }

  private async init(): Promise<void> {
    this.embedder ??= await loadEmbedder(this.config.embedder);
    this.db = await connectIndex(this.config);
    const table = await openTableIfExists(this.db, this.config.table);
    if (!table) {
      throw new Error(`RAG index table "${this.config.table}" not found at ${this.config.indexUri}; run \`slopguard rag-index build\``);
    }
    this.table = table;
  }

  /** Resolves once the embedder and table are open; rejects with the reason they are not. */
  whenReady(): Promise<void> {
    return this.initPromise;
  }

  ready(): boolean {
    return this.table !== undefined && this.embedder !== undefined;
  }

  async retrieve(input: RetrieveInput): Promise<RetrievedStatement[]> {
    await this.initPromise;
    const table = this.table as lancedb.Table;
    const k = input.k ?? this.config.topK;
    const mode = input.mode ?? this.config.mode;
    // Over-fetch so that collapsing to one statement per package still fills k slots.
    const limit = Math.max(this.config.hybridCandidates, k * 4);
    const query = input.query.slice(0, 4000);
    const filter = { ecosystem: input.ecosystem, limit };
    // Full-text search does not wait for the query embedding: both arms run at once.
    const fts = mode === "vector" ? undefined : fulltextHits(table, { query, ...filter });
    fts?.catch(() => undefined);
    let hits: Hit[];
    if (mode === "fulltext") {
      hits = await (fts as Promise<Hit[]>);
    } else {
      const [vector] = await (this.embedder as Embedder).embed([query]);
      const vec = await vectorHits(table, { vector: vector as Float32Array, ...filter, search: this.config.vectorSearch });
      if (mode === "vector") {
        hits = vec;
      } else {
        const { vector: wv, fulltext: wf } = this.config.rrfWeights;
        const lists = [onePerPackage(vec, limit), onePerPackage(await (fts as Promise<Hit[]>), limit)];
        hits = fuseRrf(lists, this.config.rrfK, [wv, wf]);
      }
    }
    return onePerPackage(hits, k);
  }

  async close(): Promise<void> {
    await this.initPromise.catch(() => undefined);
    this.table?.close();
    this.db?.close();
    this.table = undefined;
  }
}
