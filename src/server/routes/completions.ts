/**
 * POST /v1/completions: OpenAI's legacy text completions, which editors use for
 * autocomplete (`prompt` before the cursor, `suffix` after it). Same run as every API
 * (service.ts); the completions codec reads the request and writes JSON or SSE.
 */
import type { RequestHandler } from "express";
import { CompletionRequestSchema, completionStreamWriter, decodeCompletionRequest, encodeTextCompletion } from "../../codecs/completions/index.js";
import { newTextCompletionId } from "../../util/ids.js";
import type { GatewayService } from "../service.js";
import { deliver, parseBody, startRun } from "./run.js";

export function completions(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/completions";
    const decoded = decodeCompletionRequest(parseBody(req, CompletionRequestSchema));
    const run = startRun({ service, req, res, api: "completions", model: decoded.model, call: decoded.call, stream: decoded.stream });
    const meta = { id: newTextCompletionId(), model: run.model.name, created: Math.floor(Date.now() / 1000) };
    await deliver({
      res,
      run,
      stream: decoded.stream,
      writer: () => completionStreamWriter({ ...meta, includeUsage: decoded.includeUsage }),
      json: (out) => encodeTextCompletion(out.generation, { ...meta, extra: { slopguard: out.report } }),
    });
  };
}
