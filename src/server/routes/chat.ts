import type { RequestHandler } from "express";
import { ChatRequestSchema, type Usage } from "../../api/schema.js";
import { metrics } from "../../metrics/index.js";
import { ApiError, fromZod } from "../errors.js";
import { ECOSYSTEM_HEADER, PROFILE_HEADER, type ChatService } from "../chat-service.js";
import { pipeSse } from "../sse.js";

/** POST /v1/chat/completions: parse, hand to the chat service, write JSON or SSE. */
export function chatCompletions(chat: ChatService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/chat/completions";
    if (req.body === undefined || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
    }
    const parsed = ChatRequestSchema.safeParse(req.body);
    if (!parsed.success) throw fromZod(parsed.error);
    const request = parsed.data;
    res.locals.model = request.model;
    const run = chat.start({
      request,
      requestId: res.locals.requestId,
      signal: res.locals.signal,
      profileHeader: req.get(PROFILE_HEADER),
      ecosystemHeader: req.get(ECOSYSTEM_HEADER),
    });
    res.locals.model = run.model.name;
    res.locals.run = run;
    const recordUsage = (u: Usage) => {
      res.locals.usage = u; // charged to the key's tokens-per-minute budget (rate-limit.ts)
      metrics.inputTokens.inc({ model: run.model.name }, u.prompt_tokens);
      metrics.outputTokens.inc({ model: run.model.name }, u.completion_tokens);
    };
    if (request.stream) {
      const t0 = res.locals.startedAt as number;
      await pipeSse(res, run.wrapped.stream(run.params), {
        includeUsage: request.stream_options?.include_usage === true,
        headers: () => ({ "x-request-id": res.locals.requestId, ...run.ctx.responseHeaders }),
        onFirstContent: () => metrics.timeToFirstToken.observe({ model: run.model.name }, (performance.now() - t0) / 1000),
        onUsage: recordUsage,
      });
      return;
    }
    const completion = await run.wrapped.generate(run.params);
    if (completion.usage) recordUsage(completion.usage);
    res.set(run.ctx.responseHeaders).json(completion);
  };
}
