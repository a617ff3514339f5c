import type { RequestHandler } from "express";
import { ChatRequestSchema, chatStreamWriter, decodeChatRequest, encodeChatCompletion } from "../../codecs/chat/index.js";
import { newCompletionId } from "../../util/ids.js";
import { ApiError, fromZod } from "../errors.js";
import { ECOSYSTEM_HEADER, PROFILE_HEADER, type GatewayService } from "../service.js";
import { pipeSse } from "../sse.js";
import { usageRecorder } from "./usage.js";

/** POST /v1/chat/completions: parse, decode to a call, run it, encode JSON or SSE. */
export function chatCompletions(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/chat/completions";
    if (req.body === undefined || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
    }
    const parsed = ChatRequestSchema.safeParse(req.body);
    if (!parsed.success) throw fromZod(parsed.error);
    const decoded = decodeChatRequest(parsed.data);
    res.locals.model = decoded.model; // labels a refused request too (bounded to configured names)
    const run = service.start({
      model: decoded.model,
      call: decoded.call,
      api: "chat",
      requestId: res.locals.requestId,
      signal: res.locals.signal,
      profileHeader: req.get(PROFILE_HEADER),
      ecosystemHeader: req.get(ECOSYSTEM_HEADER),
    });
    res.locals.model = run.model.name;
    res.locals.run = run;
    const recordUsage = usageRecorder(res, run.model.name);
    const meta = { id: newCompletionId(), model: run.model.name, created: Math.floor(Date.now() / 1000) };
    res.locals.stream = decoded.stream;
    if (decoded.stream) {
      await pipeSse(res, run.stream(), chatStreamWriter({ ...meta, includeUsage: decoded.includeUsage }), {
        headers: run.headers,
        onFirstContent: recordUsage.firstContent,
        onUsage: recordUsage.usage,
      });
      return;
    }
    const out = await run.generate();
    if (out.generation.usage) recordUsage.usage(out.generation.usage);
    res.set(out.headers).json(encodeChatCompletion(out.generation, { ...meta, id: out.generation.response.id ?? meta.id, extra: { slopguard: out.report } }));
  };
}
