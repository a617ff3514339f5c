/**
 * A `fetch` for the openai SDK over node:http(s) with a keep-alive agent per
 * upstream. Node's built-in fetch (undici) costs about as much per request as the
 * rest of the gateway together (profiled: docs/BENCHMARKS.md); node:http with a
 * reused socket is several times cheaper. JSON bodies are buffered and handed over
 * whole; SSE bodies stream through as a web ReadableStream.
 *
 * Bodies are capped (`maxBodyBytes`): an upstream that sends 100 MB, buffered or
 * streamed, is cut off with a 502 instead of growing the gateway's memory. Stalls are
 * timed one layer up, per decoded event (src/providers/timing.ts), so SSE comments
 * (keep-alive pings) cannot hide a stalled upstream.
 */
import http from "node:http";
import https from "node:https";
import { ProviderError } from "./types.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface NodeFetchOptions {
  maxSockets?: number;
  /** Largest upstream body, buffered or streamed; unset = no cap. */
  maxBodyBytes?: number;
}

export function createNodeFetch(options: NodeFetchOptions = {}): FetchLike & { close(): void } {
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
          resolve(new Response(sseBody(res, options.maxBodyBytes), { status, headers: resHeaders }));
          return;
        }
        const parts: Buffer[] = [];
        let size = 0;
        res.on("data", (d: Buffer) => {
          size += d.length;
          if (options.maxBodyBytes === undefined || size <= options.maxBodyBytes) return void parts.push(d);
          // Settle first: destroying the socket also fails the request, which must not read as a connection error (retried).
          reject(tooLarge(options.maxBodyBytes));
          res.destroy();
        });
        res.on("end", () => resolve(new BufferedResponse(Buffer.concat(parts), status, resHeaders, url.href) as unknown as Response));
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

/**
 * A finished (buffered) answer with the parts of fetch's Response that the SDK reads: status,
 * ok, url, headers, json(), text(), and body for the paths that cancel it. undici's Response
 * wraps a buffer in a web ReadableStream (and makes it transferable) only to read it straight
 * back, which cost ~8 % of the gateway's CPU per proxied JSON request (profiled).
 */
class BufferedResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = "basic";
  private used = false;

  constructor(
    private readonly buf: Buffer,
    readonly status: number,
    readonly headers: Headers,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.status === 204 || this.status === 304 ? null : new Response(this.buf).body;
  }

  async text(): Promise<string> {
    if (this.used) throw new TypeError("Body is unusable: Body has already been read");
    this.used = true;
    return this.buf.toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    await this.text(); // marks the body used
    return Uint8Array.from(this.buf).buffer;
  }

  clone(): BufferedResponse {
    return new BufferedResponse(this.buf, this.status, this.headers, this.url);
  }
}

/**
 * The SSE body as the web stream the SDK reads, pulled straight from the socket's node stream
 * (measured: as fast as `Readable.toWeb`), with the size cap in the same layer. Pulls stop while
 * the client reads slowly, so backpressure reaches the upstream socket.
 */
function sseBody(res: http.IncomingMessage, maxBytes: number | undefined): ReadableStream<Uint8Array> {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let size = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) return controller.close();
          size += next.value.length;
          if (maxBytes !== undefined && size > maxBytes) {
            res.destroy();
            return controller.error(tooLarge(maxBytes));
          }
          controller.enqueue(next.value);
        } catch (err) {
          controller.error(err);
        }
      },
      cancel: async () => {
        res.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

function tooLarge(max: number): ProviderError {
  return new ProviderError(`Upstream answer is larger than ${max} bytes`, 502, "upstream_too_large");
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
