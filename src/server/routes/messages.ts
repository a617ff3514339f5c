/**
 * POST /v1/messages (Anthropic's Messages API; Claude Code adds `?beta=true`) and
 * POST /v1/messages/count_tokens. Same run as every API (service.ts); the Messages
 * codec reads the request and writes JSON or SSE. Errors on these paths take
 * Anthropic's shape (app.ts installs it before the body parser and auth).
 */
import type { Request, RequestHandler } from "express";
import type { ModelCall } from "../../core/parts.js";
import {
  CountTokensRequestSchema,
  MessagesRequestSchema,
  decodeMessagesRequest,
  encodeMessagesResponse,
  messagesStreamWriter,
} from "../../codecs/messages/index.js";
import { newMessageId } from "../../util/ids.js";
import { ApiError, fromZod } from "../errors.js";
import { ECOSYSTEM_HEADER, PROFILE_HEADER, type GatewayService } from "../service.js";
import { pipeSse } from "../sse.js";
import { usageRecorder } from "./usage.js";

function bodyOf(req: Request): unknown {
  if (req.body === undefined || typeof req.body !== "object" || Array.isArray(req.body)) {
    throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
  }
  return req.body;
}

function headersOf(req: Request): Record<string, string | undefined> {
  return { "anthropic-beta": req.get("anthropic-beta"), "anthropic-version": req.get("anthropic-version") };
}

export function messages(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/messages";
    const parsed = MessagesRequestSchema.safeParse(bodyOf(req));
    if (!parsed.success) throw fromZod(parsed.error);
    const decoded = decodeMessagesRequest(parsed.data, headersOf(req));
    const run = service.start({
      model: decoded.model,
      call: decoded.call,
      api: "messages",
      requestId: res.locals.requestId,
      signal: res.locals.signal,
      profileHeader: req.get(PROFILE_HEADER),
      ecosystemHeader: req.get(ECOSYSTEM_HEADER),
    });
    res.locals.model = run.model.name;
    res.locals.run = run;
    res.locals.stream = decoded.stream;
    const recordUsage = usageRecorder(res, run.model.name);
    // The model the client asked for (`name`, or `name:profile`): clients compare it.
    const meta = { id: newMessageId(), model: decoded.model };
    if (decoded.stream) {
      await pipeSse(res, run.stream(), messagesStreamWriter(meta), {
        headers: run.headers,
        onFirstContent: recordUsage.firstContent,
        onUsage: recordUsage.usage,
      });
      return;
    }
    const out = await run.generate();
    if (out.generation.usage) recordUsage.usage(out.generation.usage);
    res.set(out.headers).json(encodeMessagesResponse(out.generation, { ...meta, extra: { slopguard: out.report } }));
  };
}

/**
 * Token counts: exact where the provider can count (an Anthropic upstream's own
 * endpoint, a local model's tokenizer), else an estimate of 4 characters a token,
 * marked `X-Slopguard-Token-Count: estimate`. Claude Code asks this to decide when to
 * compact a conversation; an estimate serves it better than a refusal.
 */
export function countTokens(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/messages/count_tokens";
    const parsed = CountTokensRequestSchema.safeParse(bodyOf(req));
    if (!parsed.success) throw fromZod(parsed.error);
    const decoded = decodeMessagesRequest({ ...parsed.data, max_tokens: parsed.data.max_tokens ?? 1 }, headersOf(req));
    const run = service.start({ model: decoded.model, call: decoded.call, api: "messages", requestId: res.locals.requestId, signal: res.locals.signal });
    res.locals.model = run.model.name;
    const exact = await run.provider.countTokens?.(run.call, { signal: res.locals.signal, requestId: res.locals.requestId });
    res.set("X-Slopguard-Token-Count", exact === undefined ? "estimate" : "exact").json({ input_tokens: exact ?? estimateTokens(run.call) });
  };
}

/** About 4 characters a token for English and code; tool schemas count as their JSON. */
export function estimateTokens(call: ModelCall): number {
  let chars = 0;
  for (const m of call.prompt) {
    for (const p of m.content) {
      if (p.type === "text" || p.type === "reasoning") chars += p.text.length;
      else if (p.type === "tool-call") chars += p.name.length + p.input.length;
      else if (p.type === "tool-result") chars += p.output.length;
    }
  }
  for (const t of call.tools ?? []) chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.inputSchema ?? {}).length;
  return Math.ceil(chars / 4);
}
