/**
 * Composes mitigations like an onion: the first one transforms the request first
 * and sees the response last; the last one sits next to the model.
 */
import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from "../api/schema.js";
import type { DoGenerate, DoStream, Mitigation, MitigationContext } from "./types.js";

export interface Wrapped {
  generate(params: ChatRequest): Promise<ChatCompletion>;
  stream(params: ChatRequest): AsyncIterable<ChatCompletionChunk>;
}

export function wrapModel(args: {
  doGenerate: DoGenerate;
  doStream: DoStream;
  mitigations: readonly Mitigation[];
  ctx: MitigationContext;
}): Wrapped {
  const { ctx } = args;
  // Build from the innermost (last) mitigation outwards.
  let generate: DoGenerate = args.doGenerate;
  let stream: DoStream = args.doStream;
  for (const m of [...args.mitigations].reverse()) {
    const innerGenerate = generate;
    const innerStream = stream;
    generate = async (params) => {
      const p = m.transformParams ? await m.transformParams({ params, ctx }) : params;
      return m.wrapGenerate ? m.wrapGenerate({ doGenerate: innerGenerate, params: p, ctx }) : innerGenerate(p);
    };
    stream = (params) =>
      (async function* () {
        const p = m.transformParams ? await m.transformParams({ params, ctx }) : params;
        yield* m.wrapStream ? m.wrapStream({ doStream: innerStream, params: p, ctx }) : innerStream(p);
      })();
  }
  return { generate, stream };
}
