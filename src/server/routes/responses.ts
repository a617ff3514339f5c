import type { RequestHandler } from "express";
import { decodeResponsesRequest, encodeResponse, newResponseId, ResponsesRequestSchema, responsesStreamWriter } from "../../codecs/responses/index.js";
import { defined } from "../../codecs/chat/request.js";
import { ApiError, fromZod } from "../errors.js";
import { ECOSYSTEM_HEADER, PROFILE_HEADER, type GatewayService } from "../service.js";
import { pipeSse } from "../sse.js";
import { usageRecorder } from "./usage.js";

/**
 * POST /v1/responses (OpenAI's Responses API: Codex CLI, the Agents SDK): parse, decode to
 * a call, run it, encode a Response object or its typed stream events.
 *
 * The gateway keeps no responses. `store` and `previous_response_id` reach a Responses
 * upstream, which keeps them (and whose response ids the client gets); with any other
 * upstream the client sends the whole conversation each time, as Codex does (`store: false`).
 */
export function responses(service: GatewayService): RequestHandler {
  return async (req, res) => {
    res.locals.route = "/v1/responses";
    if (req.body === undefined || typeof req.body !== "object" || Array.isArray(req.body)) {
      throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
    }
    const parsed = ResponsesRequestSchema.safeParse(req.body);
    if (!parsed.success) throw fromZod(parsed.error);
    const decoded = decodeResponsesRequest(parsed.data, (err, path) => {
      throw fromZod(err, err.issues[0]?.path.length ? `${path}.` : path);
    });
    const run = service.start({
      model: decoded.model,
      call: decoded.call,
      api: "responses",
      requestId: res.locals.requestId,
      signal: res.locals.signal,
      profileHeader: req.get(PROFILE_HEADER),
      ecosystemHeader: req.get(ECOSYSTEM_HEADER),
    });
    const upstreamApi = run.provider.api === "responses";
    if (!upstreamApi) refuseStatefulFields(decoded);
    res.locals.model = run.model.name;
    res.locals.run = run;
    const recordUsage = usageRecorder(res, run.model.name);
    // The sampling the model runs with (the model's defaults filled in), as OpenAI reports it.
    const applied = defined({ temperature: run.call.temperature, top_p: run.call.topP, max_output_tokens: run.call.maxOutputTokens });
    const echo = { ...decoded.echo, ...applied };
    const meta = { id: newResponseId(), model: run.model.name, createdAt: Math.floor(Date.now() / 1000), echo, names: decoded.names, stores: upstreamApi };
    res.locals.stream = decoded.stream;
    if (decoded.stream) {
      await pipeSse(res, run.stream(), responsesStreamWriter({ ...meta, upstreamApi }), {
        headers: run.headers,
        onFirstContent: recordUsage.firstContent,
        onUsage: recordUsage.usage,
      });
      return;
    }
    const out = await run.generate();
    if (out.generation.usage) recordUsage.usage(out.generation.usage);
    const id = upstreamApi && out.generation.response.id ? out.generation.response.id : meta.id;
    res.set(out.headers).json(encodeResponse(out.generation, { ...meta, id }, { slopguard: out.report }));
  };
}

/** What needs stored responses, which only a Responses upstream keeps. */
function refuseStatefulFields(decoded: { previousResponseId?: string; background: boolean }): void {
  if (decoded.previousResponseId) {
    throw new ApiError(400, "This model's upstream keeps no responses, and neither does the gateway: send the whole conversation in 'input' instead of 'previous_response_id'.", {
      param: "previous_response_id",
      code: "previous_response_not_supported",
    });
  }
  if (decoded.background) {
    throw new ApiError(400, "Background responses need stored responses, which this model's upstream does not keep.", { param: "background", code: "unsupported_parameter" });
  }
}
