import type { RequestHandler } from "express";
import { decodeResponsesRequest, encodeResponse, newResponseId, ResponsesRequestSchema, responsesStreamWriter } from "../../codecs/responses/index.js";
import { defined } from "../../codecs/chat/request.js";
import { ApiError, fromZod } from "../errors.js";
import type { GatewayService } from "../service.js";
import { deliver, parseBody, startRun } from "./run.js";

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
    const decoded = decodeResponsesRequest(parseBody(req, ResponsesRequestSchema), (err, path) => {
      throw fromZod(err, err.issues[0]?.path.length ? `${path}.` : path);
    });
    const run = startRun({ service, req, res, api: "responses", model: decoded.model, call: decoded.call, stream: decoded.stream });
    const upstreamApi = run.provider.api === "responses";
    if (!upstreamApi) refuseStatefulFields(decoded);
    // The sampling the model runs with (the model's defaults filled in), as OpenAI reports it.
    const applied = defined({ temperature: run.call.temperature, top_p: run.call.topP, max_output_tokens: run.call.maxOutputTokens });
    const echo = { ...decoded.echo, ...applied };
    const meta = { id: newResponseId(), model: run.model.name, createdAt: Math.floor(Date.now() / 1000), echo, names: decoded.names, stores: upstreamApi };
    await deliver({
      res,
      run,
      stream: decoded.stream,
      writer: () => responsesStreamWriter({ ...meta, upstreamApi }),
      json: (out) => encodeResponse(out.generation, { ...meta, id: upstreamApi && out.generation.response.id ? out.generation.response.id : meta.id }, { slopguard: out.report }),
    });
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
