/**
 * What every model-serving route does around its codec: read the body as a JSON object,
 * parse it with the API's schema, start the run (service.ts) with the request's profile
 * and ecosystem headers, record it for metrics and logs, then write the answer as JSON or
 * as the API's SSE stream with token and time-to-first-token bookkeeping. A route is its
 * codec's decode and encode calls around these.
 */
import type { Request, Response } from "express";
import type { z } from "zod";
import type { ModelCall, Usage, WireApi } from "../../core/parts.js";
import type { StreamWriter } from "../../codecs/types.js";
import { metrics } from "../../metrics/index.js";
import { ApiError, fromZod } from "../errors.js";
import { ECOSYSTEM_HEADER, PROFILE_HEADER, type Delivered, type GatewayRun, type GatewayService } from "../service.js";
import { pipeSse } from "../sse.js";
import { lookupBudgetOf } from "../rate-limit.js";

/** The request body parsed with the API's schema: a 400 naming the field otherwise. */
export function parseBody<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  if (req.body === undefined || req.body === null || typeof req.body !== "object" || Array.isArray(req.body)) {
    throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
  }
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

/** Starts the run of a decoded request and records it on the response for metrics and logs. */
export function startRun(args: { service: GatewayService; req: Request; res: Response; api: WireApi; model: string; call: ModelCall; stream: boolean }): GatewayRun {
  const { req, res } = args;
  res.locals.model = args.model; // labels a refused request too (bounded to configured names)
  res.locals.stream = args.stream;
  const run = args.service.start({
    model: args.model,
    call: args.call,
    api: args.api,
    requestId: res.locals.requestId,
    signal: res.locals.signal,
    lookupBudget: lookupBudgetOf(res),
    profileHeader: req.get(PROFILE_HEADER),
    ecosystemHeader: req.get(ECOSYSTEM_HEADER),
  });
  res.locals.model = run.model.name;
  res.locals.run = run;
  return run;
}

/** Writes the answer: the API's SSE stream, or its JSON body with the report headers. */
export async function deliver(args: {
  res: Response;
  run: GatewayRun;
  stream: boolean;
  writer: () => StreamWriter;
  json: (out: Delivered) => unknown;
}): Promise<void> {
  const { res, run } = args;
  const usage = usageRecorder(res, run.model.name);
  if (args.stream) {
    await pipeSse(res, run.stream(), args.writer(), { headers: run.headers, onFirstContent: usage.firstContent, onUsage: usage.usage });
    return;
  }
  const out = await run.generate();
  if (out.generation.usage) usage.usage(out.generation.usage);
  res.set(out.headers).json(args.json(out));
}

/** Token and time-to-first-token bookkeeping. */
function usageRecorder(res: Response, model: string) {
  return {
    usage(u: Usage): void {
      // Charged to the key's tokens-per-minute budget (rate-limit.ts), which reads OpenAI's names.
      res.locals.usage = { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens };
      metrics.inputTokens.inc({ model }, u.inputTokens);
      metrics.outputTokens.inc({ model }, u.outputTokens);
    },
    firstContent(): void {
      metrics.timeToFirstToken.observe({ model }, (performance.now() - (res.locals.startedAt as number)) / 1000);
    },
  };
}
