/**
 * POST /v1/completions: OpenAI's legacy text completions, which editors use for
 * autocomplete (`prompt` before the cursor, `suffix` after it). Same run as every API
 * (service.ts); the completions codec reads the request and writes JSON or SSE.
 */
import type { RequestHandler } from "express";
import { CompletionRequestSchema, completionStreamWriter, decodeCompletionRequest, encodeTextCompletion } from "../../codecs/completions/index.js";
import { newTextCompletionId } from "../../util/ids.js";
import { ApiError, fromZod } from "../errors.js";
import { ECOSYSTEM_HEADER, PROFILE_HEADER, type GatewayService } from "../service.js";
import { pipeSse } from "../sse.js";
import { usageRecorder } from "./usage.js";

export function completions(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/completions";
    if (req.body === undefined || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
    }
    const parsed = CompletionRequestSchema.safeParse(req.body);
    if (!parsed.success) throw fromZod(parsed.error);
    const decoded = decodeCompletionRequest(parsed.data);
    const run = service.start({
      model: decoded.model,
      call: decoded.call,
      api: "completions",
      requestId: res.locals.requestId,
      signal: res.locals.signal,
      profileHeader: req.get(PROFILE_HEADER),
      ecosystemHeader: req.get(ECOSYSTEM_HEADER),
    });
    res.locals.model = run.model.name;
    res.locals.run = run;
    res.locals.stream = decoded.stream;
    const recordUsage = usageRecorder(res, run.model.name);
    const meta = { id: newTextCompletionId(), model: run.model.name, created: Math.floor(Date.now() / 1000) };
    if (decoded.stream) {
      await pipeSse(res, run.stream(), completionStreamWriter({ ...meta, includeUsage: decoded.includeUsage }), {
        headers: run.headers,
        onFirstContent: recordUsage.firstContent,
        onUsage: recordUsage.usage,
      });
      return;
    }
    const out = await run.generate();
    if (out.generation.usage) recordUsage.usage(out.generation.usage);
    res.set(out.headers).json(encodeTextCompletion(out.generation, { ...meta, extra: { slopguard: out.report } }));
  };
}
