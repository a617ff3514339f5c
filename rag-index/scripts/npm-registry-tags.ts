/**
 * The authors' `keywords` of npm packages, from a registry's latest-version manifests
 * (`<registry><name>/latest`, a few KB each, not the whole packument). `npm-tags.ts` is the
 * command around it; the registry is whatever npm is configured with, or a test's loopback server.
 */
import { z } from "zod";

const ManifestSchema = z.object({
  // Some manifests give a comma-separated string instead of an array.
  keywords: z.union([z.array(z.unknown()), z.string()]).optional(),
});

export interface FetchTagsInput {
  /** Base URL, ending in "/". */
  registry: string;
  names: readonly string[];
  concurrency: number;
  /** Wait before the 2nd and 3rd try is this × the try number. */
  retryDelayMs?: number;
  timeoutMs?: number;
  onProgress?: (done: number) => void;
}

/** One package's keywords: [] when it has none or does not exist; undefined when every try failed. */
async function tagsOf(name: string, input: FetchTagsInput): Promise<string[] | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(`${input.registry}${name.replace("/", "%2F")}/latest`, { signal: AbortSignal.timeout(input.timeoutMs ?? 20_000) });
      if (res.status === 404) return [];
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const parsed = ManifestSchema.safeParse(await res.json());
      if (!parsed.success) return [];
      const raw = parsed.data.keywords ?? [];
      return (typeof raw === "string" ? raw.split(",") : raw).filter((k): k is string => typeof k === "string");
    } catch {
      // No wait after the last try: its answer is already "failed".
      if (attempt < 2) await new Promise((r) => setTimeout(r, (input.retryDelayMs ?? 500) * (attempt + 1)));
    }
  }
  return undefined;
}

/** Every package's keywords, `concurrency` requests at a time; the names whose every try failed apart. */
export async function fetchTags(input: FetchTagsInput): Promise<{ tags: Map<string, string[]>; failed: string[] }> {
  const tags = new Map<string, string[]>();
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < input.names.length) {
      const name = input.names[next++]!;
      const got = await tagsOf(name, input);
      if (got === undefined) failed.push(name);
      else tags.set(name, got);
      input.onProgress?.(tags.size + failed.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, worker));
  return { tags, failed };
}

/** The side file: `name\ttags` lines (tags comma-separated), in the names' order, packages without tags left out. */
export function tagsTsv(names: readonly string[], tags: ReadonlyMap<string, string[]>): { text: string; rows: number } {
  // Tags are the authors' words: one line of text, tabs and newlines out (the index sanitises them again).
  const clean = (t: string): string => t.replace(/[\t\r\n]+/g, " ").trim();
  const lines = names.flatMap((n) => {
    const kept = (tags.get(n) ?? []).map(clean).filter(Boolean);
    return kept.length ? [`${n}\t${kept.join(", ")}`] : [];
  });
  return { text: `name\ttags\n${lines.join("\n")}\n`, rows: lines.length };
}
