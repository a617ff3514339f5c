/**
 * Shared pieces of the mitigation tests: a gateway in front of a scripted upstream,
 * with the mitigation pipeline built from a config section, and scripted answers.
 */
import OpenAI from "openai";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream, type UpstreamAction } from "../helpers/scripted-upstream.js";
import type { MitigationPipeline } from "../../src/mitigation/index.js";
import type { PackageChecker } from "../../src/packages/types.js";
import type { Retriever } from "../../src/rag/types.js";
import { makeChecker } from "./checker.js";

export const FAKE = (tag: string | number) => `fakepkg-${tag}-zzqx`;

/** A code answer in the testbed's shape: install line in a bash block, then a python block. */
export function codeAnswer(pkgs: string[]): string {
  const imports = pkgs.map((p) => `import ${p.replace(/-/g, "_")}`).join("\n");
  return `Here you go.\n\n\`\`\`bash\npip install ${pkgs.join(" ")}\n\`\`\`\n\n\`\`\`python\n${imports}\n\nprint("done")\n\`\`\`\n`;
}

/** Splits text into pieces of 1–3 characters, the worst case for a stream guard. */
export function shred(text: string): string[] {
  const out: string[] = [];
  for (let i = 0, n = 1; i < text.length; i += n, n = (n % 3) + 1) out.push(text.slice(i, i + n));
  return out;
}

export function reply(body: any, content: string, delayMs = 0): UpstreamAction {
  return body?.stream ? { kind: "stream", chunks: shred(content), ...(delayMs ? { firstDelayMs: delayMs } : {}) } : { kind: "json", content, delayMs };
}

export function isDetectQuestion(body: any): string | undefined {
  const last = body?.messages?.[body.messages.length - 1]?.content;
  const m = typeof last === "string" ? /^Is (\S+) a valid (Python|npm) package\?$/.exec(last) : null;
  return m?.[1];
}

/**
 * Which round a request is: 0 for the first answer; after "The package fakepkg-rN-zzqx
 * does not exist…" it is N + 1 (each regeneration names the previous round's fake).
 */
export function roundOf(body: any): number {
  const last = body?.messages?.[body.messages.length - 1]?.content;
  if (typeof last !== "string" || !/do(es)? not exist/.test(last)) return 0;
  const m = /fakepkg-[a-z]*(\d+)-zzqx/.exec(last);
  return m ? Number(m[1]) + 1 : 1;
}

export interface Harness {
  up: ScriptedUpstream;
  gw: TestGateway;
  client: OpenAI;
  pipeline: MitigationPipeline;
  checker: PackageChecker;
  close(): Promise<void>;
}

export async function startHarness(options: { mitigation?: Record<string, unknown>; retriever?: Retriever; model?: Record<string, unknown> } = {}): Promise<Harness> {
  const up = await startScriptedUpstream();
  const checker = await makeChecker();
  // The real wiring: bootstrap builds the pipeline from the `mitigation` config section.
  const gw = await startGateway({
    config: { models: [upstreamModel(up, options.model ?? {})], mitigation: options.mitigation ?? {} },
    services: { packageChecker: checker, retriever: options.retriever },
  });
  const pipeline = gw.services.pipeline as MitigationPipeline;
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 });
  return {
    up, gw, client, pipeline, checker,
    close: async () => {
      await gw.close();
      await up.close();
    },
  };
}

/** Reads a raw SSE body into its JSON events, checking the OpenAI framing on the way. */
export function parseSse(raw: string): any[] {
  const events = raw.split("\n\n").filter(Boolean);
  if (events[events.length - 1] !== "data: [DONE]") throw new Error(`stream did not end with [DONE]: ${events.slice(-2).join(" | ")}`);
  return events.slice(0, -1).map((e) => {
    if (!e.startsWith("data: ")) throw new Error(`not an SSE data line: ${e}`);
    return JSON.parse(e.slice(6));
  });
}

export async function rawPost(gw: TestGateway, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { res, text: await res.text() };
}
