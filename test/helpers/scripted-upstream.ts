/**
 * A real OpenAI-compatible upstream on 127.0.0.1 (random port) for tests.
 *
 * Each chat request is answered by the next queued action, or by the handler
 * function, or by a default (JSON, or SSE when the request asks to stream).
 * Every request is recorded with its parsed body and whether the client closed
 * the connection before the answer was finished, so tests can assert what
 * reached the upstream and that aborts propagate.
 *
 * Usage:
 *   const up = await startScriptedUpstream();
 *   up.enqueue({ kind: "stream", chunks: ["Hel", "lo"], delayMs: 5 });
 *   // ... point a gateway model at `up.baseURL` ...
 *   expect(up.requests[0]!.body.messages[0].content).toContain("Package x");
 *   await up.close();
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type UpstreamAction =
  /** A chat.completion with `content`, or exactly `body` when given. */
  | { kind: "json"; content?: string; body?: unknown; status?: number; delayMs?: number; headers?: Record<string, string> }
  /** SSE: one chunk per string, `delayMs` between chunks, then usage (if asked) and `[DONE]`. */
  | { kind: "stream"; chunks: string[]; delayMs?: number; firstDelayMs?: number; finishReason?: string }
  /** Accepts the request and never answers (for timeouts and client aborts). */
  | { kind: "stall" }
  /** An error status with an OpenAI-style error body (or `body` verbatim). */
  | { kind: "error"; status: number; message?: string; body?: unknown }
  /** Streams `chunks`, then destroys the socket without `[DONE]`. */
  | { kind: "reset"; chunks: string[]; delayMs?: number }
  /** Streams `chunks`, then goes silent with the connection open (a stuck upstream). */
  | { kind: "hang"; chunks: string[]; delayMs?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: any;
  receivedAt: number;
  /** Set when the client connection closed before the response ended. */
  clientClosedAt?: number;
  /** True once the response was completely written. */
  finished: boolean;
  action: UpstreamAction["kind"];
}

export interface ScriptedUpstream {
  /** `http://127.0.0.1:<port>/v1`, for the openai client or a gateway model's baseURL. */
  baseURL: string;
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Chat requests only (POST .../chat/completions). */
  chatRequests(): RecordedRequest[];
  enqueue(...actions: UpstreamAction[]): void;
  /** Answers every request the queue does not cover. */
  setHandler(fn: ((body: any, req: RecordedRequest) => UpstreamAction) | undefined): void;
  /** Resolves when the n-th recorded request's client connection closes early. */
  waitForClientClose(index: number, timeoutMs?: number): Promise<number>;
  /** Resolves once `n` chat requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  models: string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function completionBody(model: string, content: string, promptTokens = 9) {
  const completionTokens = content.split(/\s+/).filter(Boolean).length;
  return {
    id: "chatcmpl-upstream",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop", logprobs: null }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

function chunkBody(model: string, delta: Record<string, unknown>, finish: string | null) {
  return {
    id: "chatcmpl-upstream",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  };
}

export function defaultAction(body: any): UpstreamAction {
  return body?.stream
    ? { kind: "stream", chunks: ["Hello", " from", " upstream"] }
    : { kind: "json", content: "Hello from upstream" };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

async function writeStream(res: http.ServerResponse, body: any, action: { chunks: string[]; delayMs?: number; firstDelayMs?: number; finishReason?: string }, end: boolean) {
  const model = String(body?.model ?? "upstream-model");
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
  if (action.firstDelayMs) await sleep(action.firstDelayMs);
  send(chunkBody(model, { role: "assistant", content: "" }, null));
  for (const text of action.chunks) {
    if (action.delayMs) await sleep(action.delayMs);
    if (res.destroyed) return;
    send(chunkBody(model, { content: text }, null));
  }
  if (!end) return;
  send(chunkBody(model, {}, action.finishReason ?? "stop"));
  if (body?.stream_options?.include_usage) {
    const n = action.chunks.length;
    send({ ...chunkBody(model, {}, null), choices: [], usage: { prompt_tokens: 9, completion_tokens: n, total_tokens: 9 + n } });
  }
  res.write("data: [DONE]\n\n");
  res.end();
}

async function answer(res: http.ServerResponse, body: any, action: UpstreamAction): Promise<void> {
  switch (action.kind) {
    case "json": {
      if (action.delayMs) await sleep(action.delayMs);
      const payload = action.body ?? completionBody(String(body?.model ?? "upstream-model"), action.content ?? "Hello from upstream");
      res.writeHead(action.status ?? 200, { "content-type": "application/json", ...action.headers });
      res.end(JSON.stringify(payload));
      return;
    }
    case "stream":
      return writeStream(res, body, action, true);
    case "stall":
      return;
    case "error": {
      const payload = action.body ?? { error: { message: action.message ?? `upstream failed with ${action.status}`, type: "server_error", param: null, code: null } };
      res.writeHead(action.status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
      return;
    }
    case "hang":
      return writeStream(res, body, action, false);
    case "reset":
      await writeStream(res, body, action, false);
      // Let the last chunk leave before the reset, as a real mid-stream failure would.
      await sleep(action.delayMs ?? 20);
      res.socket?.destroy();
      return;
  }
}

export async function startScriptedUpstream(options: { models?: string[] } = {}): Promise<ScriptedUpstream> {
  const queue: UpstreamAction[] = [];
  const requests: RecordedRequest[] = [];
  const closeWaiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  let handler: ((body: any, req: RecordedRequest) => UpstreamAction) | undefined;
  const models = options.models ?? ["upstream-model"];
  const notify = () => closeWaiters.splice(0).forEach((f) => f());

  const server = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && /\/models$/.test(path)) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: models.map((id) => ({ id, object: "model", created: 0, owned_by: "upstream" })) }));
      return;
    }
    const isChat = req.method === "POST" && path.endsWith("/chat/completions");
    const rec: RecordedRequest = { method: req.method ?? "", path, headers: req.headers, body, receivedAt: Date.now(), finished: false, action: "json" };
    const action: UpstreamAction = isChat
      ? (queue.shift() ?? handler?.(body, rec) ?? defaultAction(body))
      : { kind: "error", status: 404, message: `no route ${path}` };
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
      await answer(res, body, action);
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

  return {
    baseURL: `${url}/v1`,
    url,
    port,
    requests,
    models,
    chatRequests: () => requests.filter((r) => r.path.endsWith("/chat/completions")),
    enqueue: (...actions) => void queue.push(...actions),
    setHandler: (fn) => void (handler = fn),
    waitForClientClose: async (index, timeoutMs = 5_000) => {
      await waitFor(() => requests[index]?.clientClosedAt !== undefined, timeoutMs, `client close of request ${index}`);
      return requests[index]!.clientClosedAt!;
    },
    waitForRequests: (n, timeoutMs = 5_000) =>
      waitFor(() => requests.filter((r) => r.path.endsWith("/chat/completions")).length >= n, timeoutMs, `${n} requests`),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
