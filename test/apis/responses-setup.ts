/**
 * Shared pieces of the Responses API tests: the real gateway in front of the scripted
 * upstream with two models, `chat-up` (an `openai-compatible` upstream: the gateway
 * translates) and `resp-up` (an `openai-responses` upstream: native pass-through), the
 * real package checker, the openai client, and readers for raw SSE.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { makeChecker } from "../mitigation/checker.js";
import type { Retriever } from "../../src/rag/types.js";

export const MODELS = ["chat-up", "resp-up"] as const;
export type ModelName = (typeof MODELS)[number];

export interface ResponsesHarness {
  up: ScriptedUpstream;
  gw: TestGateway;
  client: OpenAI;
  close(): Promise<void>;
}

export async function startResponsesHarness(options: { mitigation?: Record<string, unknown>; retriever?: Retriever } = {}): Promise<ResponsesHarness> {
  const up = await startScriptedUpstream();
  const gw = await startGateway({
    config: {
      models: [
        upstreamModel(up, { name: "chat-up" }),
        upstreamModel(up, { name: "resp-up", provider: "openai-responses" }),
      ],
      mitigation: options.mitigation ?? {},
    },
    services: { packageChecker: await makeChecker(), retriever: options.retriever },
  });
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: "x", maxRetries: 0 });
  return {
    up,
    gw,
    client,
    close: async () => {
      await gw.close();
      await up.close();
    },
  };
}

export interface SseEvent {
  event: string | undefined;
  data: any;
}

/** Splits an SSE body into its events, each `event:` line checked against its `data.type`. */
export function parseEvents(body: string): SseEvent[] {
  return body
    .split("\n\n")
    .filter(Boolean)
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!);
      if (event !== data.type) throw new Error(`event line '${event}' does not match data.type '${data.type}'`);
      return { event, data };
    });
}

export async function postResponses(gw: TestGateway, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.baseURL}/responses`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { res, text: await res.text() };
}

/**
 * An upstream that answers every request with fixed SSE events (or a JSON body), for
 * streams the scripted upstream does not produce: reasoning items, a stream that ends
 * cleanly without `response.completed`, a `response.failed`.
 */
export async function startRawUpstream() {
  const requests: any[] = [];
  let next: { events?: unknown[]; json?: unknown } = {};
  const server = http.createServer(async (req, res) => {
    let raw = "";
    for await (const c of req) raw += c;
    requests.push(JSON.parse(raw || "null"));
    if (next.json !== undefined) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(next.json));
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const e of next.events ?? []) res.write(`event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    answer(n: { events?: unknown[]; json?: unknown }) {
      next = n;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A Response object as OpenAI sends it, around `output`. */
export function upstreamResponse(id: string, output: unknown[], status = "completed") {
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status,
    error: null,
    incomplete_details: null,
    model: "upstream-model",
    output,
    usage: { input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 18 },
    service_tier: "default",
  };
}
