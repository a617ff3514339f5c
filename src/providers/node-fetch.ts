/**
 * A `fetch` for the openai SDK over node:http(s) with a keep-alive agent per
 * upstream. Node's built-in fetch (undici) costs about as much per request as the
 * rest of the gateway together (profiled: docs/BENCHMARKS.md); node:http with a
 * reused socket is several times cheaper. JSON bodies are buffered and handed over
 * whole; SSE bodies stream through as a web ReadableStream.
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function createNodeFetch(options: { maxSockets?: number } = {}): FetchLike & { close(): void } {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, keepAliveMsecs: 30_000 };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const fetchImpl = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const secure = url.protocol === "https:";
    const headers = toHeaderObject(init.headers);
    const body = typeof init.body === "string" ? init.body : init.body == null ? undefined : String(init.body);
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const req = (secure ? https : http).request(url, { method: init.method ?? "GET", headers, agent: secure ? httpsAgent : httpAgent }, (res) => {
        const status = res.statusCode ?? 502;
        const resHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const x of v) resHeaders.append(k, x);
          else if (v !== undefined) resHeaders.set(k, v);
        }
        const type = String(res.headers["content-type"] ?? "");
        if (type.includes("text/event-stream")) {
          // A client abort must also end this stream, not only the request.
          signal?.addEventListener("abort", () => res.destroy(abortError(signal)), { once: true });
          resolve(new Response(Readable.toWeb(res) as ReadableStream, { status, headers: resHeaders }));
          return;
        }
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(parts), { status, headers: resHeaders })));
        res.on("error", reject);
      });
      const onAbort = () => req.destroy(abortError(signal!));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("close", () => signal?.removeEventListener("abort", onAbort));
      req.on("error", (err) => reject(signal?.aborted ? abortError(signal) : new TypeError(`fetch failed: ${err.message}`, { cause: err })));
      req.end(body);
    });
  };
  return Object.assign(fetchImpl, {
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}

function toHeaderObject(h: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (h instanceof Headers) h.forEach((v, k) => (out[k] = v));
  else if (Array.isArray(h)) for (const [k, v] of h as [string, string][]) out[k.toLowerCase()] = v;
  else for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = String(v);
  return out;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  return new DOMException("This operation was aborted", "AbortError");
}
