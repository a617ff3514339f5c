/** The retriever contract the RAG mitigation calls. Implemented in src/rag/. */
import type { Ecosystem } from "../packages/types.js";

export type RetrievalMode = "vector" | "fulltext" | "hybrid";

export interface RetrievedStatement {
  /** "Package X could answer questions about Y." */
  statement: string;
  package: string;
  ecosystem: Ecosystem;
  score: number;
  /** Share of the task's IDF-weighted words the package's fields match (0–1). */
  relevance?: number;
}

export interface RetrieveInput {
  query: string;
  ecosystem?: Ecosystem;
  k?: number;
  mode?: RetrievalMode;
  /** Overrides the configured relevance threshold (0 returns the top k whatever they are). */
  minRelevance?: number;
}

export interface Retriever {
  retrieve(input: RetrieveInput): Promise<RetrievedStatement[]>;
  ready(): boolean;
  close(): Promise<void>;
}
