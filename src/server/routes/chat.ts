import type { RequestHandler } from "express";
import { ChatRequestSchema, chatStreamWriter, decodeChatRequest, encodeChatCompletion } from "../../codecs/chat/index.js";
import { newCompletionId } from "../../util/ids.js";
import type { GatewayService } from "../service.js";
import { deliver, parseBody, startRun } from "./run.js";

/** POST /v1/chat/completions: parse, decode to a call, run it, encode JSON or SSE. */
export function chatCompletions(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/chat/completions";
    const decoded = decodeChatRequest(parseBody(req, ChatRequestSchema));
    const run = startRun({ service, req, res, api: "chat", model: decoded.model, call: decoded.call, stream: decoded.stream });
    const meta = { id: newCompletionId(), model: run.model.name, created: Math.floor(Date.now() / 1000) };
    await deliver({
      res,
      run,
      stream: decoded.stream,
      writer: () => chatStreamWriter({ ...meta, includeUsage: decoded.includeUsage }),
      json: (out) => encodeChatCompletion(out.generation, { ...meta, id: out.generation.response.id ?? meta.id, extra: { slopguard: out.report } }),
    });
  };
}
