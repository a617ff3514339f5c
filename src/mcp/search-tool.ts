/**
 * `search_packages`: the RAG retriever as an MCP tool, so an agent can find a real
 * package for a task instead of guessing a name. The index may still be opening (or
 * be built on a first start, minutes): the tool then says so after a short wait
 * instead of holding the call until it is ready.
 */
import { z } from "zod";
import type { Retriever } from "../rag/types.js";
import type { ToolAnswer } from "./check-tool.js";

export const SEARCH_DESCRIPTION = [
  "Find real, existing packages for a task, from slopguard's offline index of package descriptions",
  "(PyPI and npm, hybrid keyword + semantic search). Use it when you need a library and are not sure of its exact",
  "name, or when check_packages said a name does not exist. Give a short task description ('parse YAML files',",
  "'HTTP client with retries') and preferably the ecosystem. Returns the top packages, each with a one-line statement of what it does.",
].join(" ");

export const SearchPackagesInputSchema = z.object({
  query: z.string().trim().min(2).max(4000).describe("What the package should do, in a few words or a sentence."),
  ecosystem: z.enum(["pypi", "npm"]).optional().describe("Only this registry: 'pypi' (Python) or 'npm' (JavaScript/TypeScript). Both when left out."),
  k: z.number().int().min(1).max(20).default(5).describe("How many packages to return (1-20, default 5)."),
});
export type SearchPackagesInput = z.infer<typeof SearchPackagesInputSchema>;

export const SearchPackagesOutputSchema = z.object({
  query: z.string(),
  results: z.array(
    z.object({
      package: z.string(),
      ecosystem: z.string().describe("pypi | npm"),
      statement: z.string().describe("'Package X could answer questions about …', from the package's own summary."),
      score: z.number().describe("Retrieval score; only the order is meaningful."),
    }),
  ),
});
export type SearchPackagesOutput = z.infer<typeof SearchPackagesOutputSchema>;

export interface SearchBackend {
  retriever: Retriever;
  /** Why the index is not usable, when the retriever knows (the gateway's LazyRetriever does). */
  status?: () => { ready: boolean; error?: string };
  /** How long a call waits for an index that is still opening before answering "not ready". */
  waitMs: number;
}

const NOT_READY =
  "The package index is not open yet: it is opened at start-up, and built on the first start (a few minutes for ~97k statements). " +
  "Try search_packages again later; check_packages works meanwhile.";

function unavailable(text: string): ToolAnswer {
  return { result: { content: [{ type: "text", text }], isError: true }, outcome: "unavailable" };
}

type Settled<T> = { value: T } | { error: Error } | { timeout: true };

async function within<T>(p: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => (timer = setTimeout(() => resolve({ timeout: true }), ms)));
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: Error) => ({ error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function formatSearch(out: SearchPackagesOutput, ecosystem: string | undefined): string {
  const where = ecosystem ? `${ecosystem} ` : "";
  if (out.results.length === 0) return `No ${where}packages in the index match "${out.query}". Try other words.`;
  const lines = out.results.map((r, i) => `${i + 1}. ${r.package} (${r.ecosystem}): ${r.statement}`);
  return [`Top ${out.results.length} ${where}packages for "${out.query}":`, ...lines].join("\n");
}

export async function searchPackages(backend: SearchBackend, args: SearchPackagesInput): Promise<ToolAnswer> {
  const { retriever } = backend;
  const request = { query: args.query, k: args.k, ...(args.ecosystem ? { ecosystem: args.ecosystem } : {}) };
  let hits;
  if (retriever.ready()) {
    hits = await retriever.retrieve(request);
  } else {
    const failed = backend.status?.().error;
    if (failed) return unavailable(`The package index is unavailable: ${failed}`);
    const settled = await within(retriever.retrieve(request), backend.waitMs);
    if ("timeout" in settled) return unavailable(NOT_READY);
    if ("error" in settled) return unavailable(`The package index is unavailable: ${settled.error.message}`);
    hits = settled.value;
  }
  const out: SearchPackagesOutput = {
    query: args.query,
    results: hits.map((h) => ({ package: h.package, ecosystem: h.ecosystem, statement: h.statement, score: h.score })),
  };
  return { result: { content: [{ type: "text", text: formatSearch(out, args.ecosystem) }], structuredContent: out }, outcome: "ok" };
}
