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
import type { GatewayService } from "../service.js";
import { deliver, parseBody, startRun } from "./run.js";

function headersOf(req: Request): Record<string, string | undefined> {
  return { "anthropic-beta": req.get("anthropic-beta"), "anthropic-version": req.get("anthropic-version") };
}

export function messages(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/messages";
    const decoded = decodeMessagesRequest(parseBody(req, MessagesRequestSchema), headersOf(req));
    const run = startRun({ service, req, res, api: "messages", model: decoded.model, call: decoded.call, stream: decoded.stream });
    // The model the client asked for (`name`, or `name:profile`): clients compare it.
    const meta = { id: newMessageId(), model: decoded.model };
    await deliver({
      res,
      run,
      stream: decoded.stream,
      writer: () => messagesStreamWriter(meta),
      json: (out) => encodeMessagesResponse(out.generation, { ...meta, extra: { slopguard: out.report } }),
    });
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
    const body = parseBody(req, CountTokensRequestSchema);
    const decoded = decodeMessagesRequest({ ...body, max_tokens: body.max_tokens ?? 1 }, headersOf(req));
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
