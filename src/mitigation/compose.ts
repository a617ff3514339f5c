/**
 * Composes mitigations like an onion: the first one transforms the call first and
 * sees the answer last; the last one sits next to the model. Each layer turns its
 * module's outcome into a record, timed as the time the module itself added (the
 * time spent in the layers inside is subtracted), and hands the records outwards, in
 * the order the modules acted: with the answer for `generate`, as record parts in the
 * stream for `stream` (a transform's record before the answer, a wrapper's after it).
 */
import type { Generation, ModelCall, StreamPart } from "../core/parts.js";
import type { Answer, DoGenerate, DoStream, GuardPart, Mitigation, MitigationContext, MitigationRecord, MitigationVerdict, Outcome } from "./types.js";

export interface Wrapped {
  generate(call: ModelCall): Promise<Answer>;
  stream(call: ModelCall): AsyncIterable<GuardPart>;
}

export function wrapModel(args: {
  doGenerate: (call: ModelCall) => Promise<Generation>;
  doStream: (call: ModelCall) => AsyncIterable<StreamPart>;
  mitigations: readonly Mitigation[];
  ctx: MitigationContext;
}): Wrapped {
  let generate: DoGenerate = async (call) => ({ generation: await args.doGenerate(call), records: [] });
  let stream: DoStream = args.doStream;
  for (const m of [...args.mitigations].reverse()) {
    generate = generateLayer(m, generate, args.ctx);
    stream = streamLayer(m, stream, args.ctx);
  }
  return { generate, stream };
}

const SEVERITY: MitigationVerdict[] = ["pass", "modified", "flagged", "blocked", "error"];

function record(m: Mitigation, outcomes: Array<Outcome<unknown> | undefined>, ms: number): MitigationRecord {
  const present = outcomes.filter((o): o is Outcome<unknown> => o !== undefined);
  const verdict = present.reduce<MitigationVerdict>((v, o) => (SEVERITY.indexOf(o.verdict) > SEVERITY.indexOf(v) ? o.verdict : v), "pass");
  const data = Object.assign({}, ...present.map((o) => o.data ?? {})) as Record<string, unknown>;
  return { module: m.name, verdict, ...(Object.keys(data).length ? { data } : {}), durationMs: Math.round(ms * 100) / 100 };
}

async function transform(m: Mitigation, call: ModelCall, ctx: MitigationContext): Promise<{ call: ModelCall; outcome?: Outcome<ModelCall>; ms: number }> {
  if (!m.transformCall) return { call, ms: 0 };
  const t0 = performance.now();
  const outcome = await m.transformCall({ call, ctx });
  return { call: outcome.transformed ?? call, outcome, ms: performance.now() - t0 };
}

function generateLayer(m: Mitigation, inner: DoGenerate, ctx: MitigationContext): DoGenerate {
  return async (call) => {
    const pre = await transform(m, call, ctx);
    if (!m.wrapGenerate) {
      // A module that only transforms the call acted before the layers inside: its record comes first.
      const a = await inner(pre.call);
      return pre.outcome ? { generation: a.generation, records: [record(m, [pre.outcome], pre.ms), ...a.records] } : a;
    }
    const answers: Answer[] = [];
    let innerMs = 0;
    const doGenerate: DoGenerate = async (c) => {
      const t = performance.now();
      try {
        const a = await inner(c);
        answers.push(a);
        return a;
      } finally {
        innerMs += performance.now() - t;
      }
    };
    const t0 = performance.now();
    const out = await m.wrapGenerate({ doGenerate, call: pre.call, ctx });
    const generation = out.transformed ?? answers.at(-1)?.generation;
    if (!generation) throw new Error(`mitigation '${m.name}' returned no answer and called no model`);
    const own = record(m, [pre.outcome, out], pre.ms + performance.now() - t0 - innerMs);
    return { generation, records: [...answers.flatMap((a) => a.records), own] };
  };
}

function streamLayer(m: Mitigation, inner: DoStream, ctx: MitigationContext): DoStream {
  return (call) =>
    (async function* (): AsyncGenerator<GuardPart> {
      const pre = await transform(m, call, ctx);
      if (!m.wrapStream) {
        if (pre.outcome) yield { type: "record", record: record(m, [pre.outcome], pre.ms) };
        yield* inner(pre.call);
        return;
      }
      const clock = { innerMs: 0 };
      const doStream: DoStream = (c) => timed(inner(c), clock);
      const t0 = performance.now();
      let waited = 0;
      const gen = m.wrapStream({ doStream, call: pre.call, ctx });
      // Forward by hand to subtract the time the consumer held each part (yield) from this module's own time.
      let r = await gen.next();
      try {
        while (!r.done) {
          const t = performance.now();
          yield r.value;
          waited += performance.now() - t;
          r = await gen.next();
        }
      } finally {
        if (!r.done) await gen.return(undefined as never);
      }
      const own = performance.now() - t0 - waited - clock.innerMs;
      yield { type: "record", record: record(m, [pre.outcome, r.value], pre.ms + own) };
    })();
}

/** Adds the time spent waiting on `source` to `clock`. */
async function* timed<T>(source: AsyncIterable<T>, clock: { innerMs: number }): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const t = performance.now();
      const r = await it.next();
      clock.innerMs += performance.now() - t;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
