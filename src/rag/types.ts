/** The retriever contract the RAG mitigation calls. Implemented in src/rag/. */
import type { Ecosystem } from "../packages/types.js";

export type RetrievalMode = "vector" | "fulltext" | "hybrid";

export interface RetrievedStatement {
  /** "Package X could answer questions about Y." */
  statement: string;
  package: string;
  ecosystem: Ecosystem;
  score: number;
}

export interface RetrieveInput {
  query: string;
  ecosystem?: Ecosystem;
  k?: number;
  mode?: RetrievalMode;
}

export interface Retriever {
  retrieve(input: RetrieveInput): Promise<RetrievedStatement[]>;
  ready(): boolean;
  close(): Promise<void>;
}
