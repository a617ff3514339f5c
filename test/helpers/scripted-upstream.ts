/**
 * A real model upstream on 127.0.0.1 (random port) for tests, speaking the three
 * APIs agents use: OpenAI chat completions (`POST /v1/chat/completions`), the
 * OpenAI Responses API (`POST /v1/responses`) and Anthropic's Messages API
 * (`POST /v1/messages`, plus `/v1/messages/count_tokens`), and the legacy text
 * completions editors use (`POST /v1/completions`). `GET /v1/models`
 * lists `models` (in Anthropic's shape when the request has `anthropic-version`).
 *
 * Each API request is answered by the next queued action, or by the handler
 * function, or by the scripted model, or by a default (JSON, or a stream when
 * the request asks to stream). Every action means the same in every API and is
 * encoded in the API that was called. Every request is recorded with its parsed
 * body, the decoded turn and whether the client closed the connection before the
 * answer was finished, so tests can assert what reached the upstream and that
 * aborts propagate.
 *
 * Usage:
 *   const up = await startScriptedUpstream();
 *   up.enqueue({ kind: "stream", chunks: ["Hel", "lo"], delayMs: 5 });
 *   up.setModel((turn) => turn.toolResults.length ? { text: "done" } : { toolCalls: [{ name: "Bash", input: { command: "ls" } }] });
 *   // ... point a gateway model (or an agent) at `up.baseURL` ...
 *   expect(up.requests[0]!.body.messages[0].content).toContain("Package x");
 *   await up.close();
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { chatError, chatJson, chatStream } from "./scripted-upstream-chat.js";
import { completionsError, completionsJson, completionsStream } from "./scripted-upstream-completions.js";
import { messagesError, messagesJson, messagesStream } from "./scripted-upstream-messages.js";
import { responsesError, responsesJson, responsesStream } from "./scripted-upstream-responses.js";
import { decodeTurn, type Api, type EncodeContext, type Frame, type ModelAnswer, type ModelTurn, type StreamPlan } from "./scripted-upstream-turn.js";

export { completionBody } from "./scripted-upstream-chat.js";
export type { Api, ModelAnswer, ModelTurn, ToolCallSpec, ToolResult } from "./scripted-upstream-turn.js";

export type UpstreamAction =
  /** A completed answer with `content` as its text, or exactly `body` when given. */
  | { kind: "json"; content?: string; body?: unknown; status?: number; delayMs?: number; headers?: Record<string, string> }
  /** A stream: one text delta per string, `delayMs` before each, then the API's end events (chat: usage if asked, `[DONE]`). */
  | { kind: "stream"; chunks: string[]; delayMs?: number; firstDelayMs?: number; finishReason?: string }
  /** A scripted answer (text and tool calls), JSON or stream as the request asks; `delayMs` before each streamed delta. */
  | { kind: "answer"; answer: ModelAnswer; delayMs?: number; firstDelayMs?: number }
  /** Accepts the request and never answers (for timeouts and client aborts). */
  | { kind: "stall" }
  /** An error status with the API's error body (or `body` verbatim). */
  | { kind: "error"; status: number; message?: string; body?: unknown }
  /** Streams `chunks`, then destroys the socket without the end events. */
  | { kind: "reset"; chunks: string[]; delayMs?: number }
  /** Streams `chunks`, then goes silent with the connection open (a stuck upstream). */
  | { kind: "hang"; chunks: string[]; delayMs?: number };

export type RequestKind = Api | "count_tokens" | "models" | "other";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Which API route the request hit. */
  api: RequestKind;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: any;
  /** The request as the scripted model sees it (API requests that decode). */
  turn?: ModelTurn;
  /** Why the body did not decode as a request of its API. */
  turnError?: string;
  receivedAt: number;
  /** Set when the client connection closed before the response ended. */
  clientClosedAt?: number;
  /** True once the response was completely written. */
  finished: boolean;
  action: UpstreamAction["kind"];
}

export type ModelScript = (turn: ModelTurn, req: RecordedRequest) => ModelAnswer;

export interface ScriptedUpstream {
  /** `http://127.0.0.1:<port>/v1`, for the openai client or a gateway model's baseURL. */
  baseURL: string;
  /** `http://127.0.0.1:<port>`, e.g. for ANTHROPIC_BASE_URL (the SDK appends `/v1/messages`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Chat requests only (POST .../chat/completions). */
  chatRequests(): RecordedRequest[];
  /** Requests of one API (chat, responses, messages, count_tokens, models). */
  requestsOf(api: RequestKind): RecordedRequest[];
  enqueue(...actions: UpstreamAction[]): void;
  /** Answers every request the queue does not cover. */
  setHandler(fn: ((body: any, req: RecordedRequest) => UpstreamAction) | undefined): void;
  /** The scripted model: answers what neither the queue nor the handler covers, in any API. */
  setModel(fn: ModelScript | undefined): void;
  /** Resolves when the n-th recorded request's client connection closes early. */
  waitForClientClose(index: number, timeoutMs?: number): Promise<number>;
  /** Resolves once `n` requests of `api` (default chat) have arrived. */
  waitForRequests(n: number, timeoutMs?: number, api?: RequestKind): Promise<void>;
  models: string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function defaultAction(body: any): UpstreamAction {
  return body?.stream
    ? { kind: "stream", chunks: ["Hello", " from", " upstream"] }
    : { kind: "json", content: "Hello from upstream" };
}

const encoders: Record<Api, { json: (a: ModelAnswer, c: EncodeContext) => unknown; stream: (a: ModelAnswer, c: EncodeContext) => StreamPlan; error: (status: number, message: string) => unknown }> = {
  chat: { json: chatJson, stream: chatStream, error: (_s, m) => chatError(m) },
  responses: { json: responsesJson, stream: responsesStream, error: (_s, m) => responsesError(m) },
  messages: { json: messagesJson, stream: messagesStream, error: messagesError },
  completions: { json: completionsJson, stream: completionsStream, error: (_s, m) => completionsError(m) },
};

function routeOf(method: string, path: string): RequestKind {
  if (method === "GET" && /\/models$/.test(path)) return "models";
  if (method !== "POST") return "other";
  if (path.endsWith("/chat/completions")) return "chat";
  if (path.endsWith("/responses")) return "responses";
  if (path.endsWith("/messages/count_tokens")) return "count_tokens";
  if (path.endsWith("/messages")) return "messages";
  if (path.endsWith("/completions")) return "completions";
  return "other";
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

function sendJson(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(payload));
}

function writeFrame(res: http.ServerResponse, f: Frame) {
  const data = f.data === "[DONE]" ? "[DONE]" : JSON.stringify(f.data);
  res.write(`${f.event ? `event: ${f.event}\n` : ""}data: ${data}\n\n`);
}

interface StreamTiming {
  delayMs?: number;
  firstDelayMs?: number;
}

/** Writes head, then body frames (each after `delayMs`), then the tail unless `end` is false. */
async function writeStream(res: http.ServerResponse, plan: StreamPlan, timing: StreamTiming, end: boolean) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  if (timing.firstDelayMs) await sleep(timing.firstDelayMs);
  plan.head.forEach((f) => writeFrame(res, f));
  for (const f of plan.body) {
    if (timing.delayMs) await sleep(timing.delayMs);
    if (res.destroyed) return;
    writeFrame(res, f);
  }
  if (!end) return;
  plan.tail.forEach((f) => writeFrame(res, f));
  res.end();
}

interface AnswerContext {
  api: Api;
  body: any;
  rec: RecordedRequest;
  enc: EncodeContext;
}

async function answer(res: http.ServerResponse, ctx: AnswerContext, action: UpstreamAction): Promise<void> {
  const codec = encoders[ctx.api];
  const planOf = (chunks: string[], finishReason?: string) => codec.stream({ textChunks: chunks, finishReason }, ctx.enc);
  switch (action.kind) {
    case "json": {
      if (action.delayMs) await sleep(action.delayMs);
      sendJson(res, action.status ?? 200, action.body ?? codec.json({ text: action.content ?? "Hello from upstream" }, ctx.enc), action.headers);
      return;
    }
    case "stream":
      return writeStream(res, planOf(action.chunks, action.finishReason), action, true);
    case "answer": {
      if (!ctx.rec.turn) return sendJson(res, 400, codec.error(400, `scripted upstream: not a valid ${ctx.api} request: ${ctx.rec.turnError}`));
      if (!ctx.rec.turn.stream) {
        if (action.delayMs) await sleep(action.delayMs);
        return sendJson(res, 200, codec.json(action.answer, ctx.enc));
      }
      return writeStream(res, codec.stream(action.answer, ctx.enc), action, true);
    }
    case "stall":
      return;
    case "error":
      return sendJson(res, action.status, action.body ?? codec.error(action.status, action.message ?? `upstream failed with ${action.status}`));
    case "hang":
      return writeStream(res, planOf(action.chunks), action, false);
    case "reset":
      await writeStream(res, planOf(action.chunks), action, false);
      // Let the last chunk leave before the reset, as a real mid-stream failure would.
      await sleep(action.delayMs ?? 20);
      res.socket?.destroy();
      return;
  }
}

function modelsList(models: string[], anthropic: boolean) {
  if (anthropic) {
    const data = models.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" }));
    return { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null };
  }
  return { object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "upstream" })) };
}

function decodeInto(rec: RecordedRequest, api: Api) {
  try {
    rec.turn = decodeTurn(api, rec.body);
  } catch (err) {
    rec.turnError = err instanceof Error ? err.message : String(err);
  }
}

export async function startScriptedUpstream(options: { models?: string[] } = {}): Promise<ScriptedUpstream> {
  const queue: UpstreamAction[] = [];
  const requests: RecordedRequest[] = [];
  const closeWaiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  let handler: ((body: any, req: RecordedRequest) => UpstreamAction) | undefined;
  let model: ModelScript | undefined;
  let idCounter = 0;
  const nextId = (prefix: string) => `${prefix}_${++idCounter}`;
  const models = options.models ?? ["upstream-model"];
  const notify = () => closeWaiters.splice(0).forEach((f) => f());

  const chooseAction = (api: Api, rec: RecordedRequest): UpstreamAction => {
    const queued = queue.shift() ?? handler?.(rec.body, rec);
    if (queued) return queued;
    if (model && rec.turn) return { kind: "answer", answer: model(rec.turn, rec) };
    if (model) return { kind: "error", status: 400, message: `scripted upstream: not a valid ${api} request: ${rec.turnError}` };
    return defaultAction(rec.body);
  };

  const server = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const kind = routeOf(req.method ?? "", path);
    const rec: RecordedRequest = { method: req.method ?? "", path, api: kind, headers: req.headers, body, receivedAt: Date.now(), finished: false, action: "json" };
    if (kind === "models" || kind === "count_tokens") {
      requests.push(rec);
      rec.finished = true;
      notify();
      if (kind === "models") return sendJson(res, 200, modelsList(models, req.headers["anthropic-version"] !== undefined));
      return sendJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
    }
    let action: UpstreamAction = { kind: "error", status: 404, message: `no route ${path}` };
    if (kind !== "other") {
      decodeInto(rec, kind);
      action = chooseAction(kind, rec);
    }
    rec.action = action.kind;
    requests.push(rec);
    res.on("close", () => {
      if (!res.writableFinished) rec.clientClosedAt = Date.now();
      notify();
    });
    res.on("finish", () => {
      rec.finished = true;
    });
    notify();
    try {
      const enc: EncodeContext = { model: String(body?.model ?? "upstream-model"), includeUsage: Boolean(body?.stream_options?.include_usage), nextId };
      await answer(res, { api: kind === "other" ? "chat" : kind, body, rec, enc }, action);
    } catch {
      res.destroy();
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const waitFor = (cond: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`scripted upstream: timed out waiting for ${what}`)), timeoutMs);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
        } else closeWaiters.push(check);
      };
      check();
    });
  const requestsOf = (api: RequestKind) => requests.filter((r) => r.api === api);

  return {
    baseURL: `${url}/v1`,
    url,
    port,
    requests,
    models,
    chatRequests: () => requestsOf("chat"),
    requestsOf,
    enqueue: (...actions) => void queue.push(...actions),
    setHandler: (fn) => void (handler = fn),
    setModel: (fn) => void (model = fn),
    waitForClientClose: async (index, timeoutMs = 5_000) => {
      await waitFor(() => requests[index]?.clientClosedAt !== undefined, timeoutMs, `client close of request ${index}`);
      return requests[index]!.clientClosedAt!;
    },
    waitForRequests: (n, timeoutMs = 5_000, api = "chat") => waitFor(() => requestsOf(api).length >= n, timeoutMs, `${n} ${api} requests`),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
