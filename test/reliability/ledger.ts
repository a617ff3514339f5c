/**
 * A request-id ledger for fault tests: every request sent through it carries its own
 * `x-request-id`, and the ledger records how each one ended. `verify()` then proves
 * that every request got exactly one terminal outcome within the time bound (nothing
 * lost, nothing hung) and that the gateway saw each id exactly once (its one
 * `request` log line per request), so a fault cannot silently drop or double-handle
 * a request.
 *
 *   const ledger = createLedger({ baseURL: gw.baseURL, timeoutMs: 5_000 });
 *   await ledger.send({ body: { model: "up", messages } });
 *   await ledger.verify({ logs: gw.logs });
 */
import { randomUUID } from "node:crypto";

export interface Outcome {
  id: string;
  /** HTTP status, or undefined when the connection failed or the bound ran out. */
  status?: number;
  /** How the exchange ended: a full body, a stream that ended with `[DONE]`, one that ended with an error event, or not at all. */
  end: "json" | "done" | "error_event" | "eof" | "network_error" | "timeout";
  body: string;
  headers: Headers | undefined;
  ms: number;
}

export interface SendOptions {
  body: unknown;
  headers?: Record<string, string>;
  path?: string;
  /** Abort the request after this many ms (a client that gives up); counts as its terminal outcome. */
  abortAfterMs?: number;
}

export interface Ledger {
  send(options: SendOptions): Promise<Outcome>;
  outcomes(): Outcome[];
  /**
   * Rejects with every id that was lost, duplicated, hung, or not logged exactly once by the gateway
   * (its log line is written when the response closes, so it waits up to 2 s for the last ones).
   */
  verify(options?: { logs?: readonly string[] }): Promise<void>;
}

function classify(status: number, text: string, contentType: string): Outcome["end"] {
  if (!contentType.includes("text/event-stream")) return "json";
  const events = text.split("\n\n").map((e) => e.trim()).filter(Boolean);
  const last = events.at(-1) ?? "";
  if (last === "data: [DONE]") return "done";
  if (/^data: \{"error"/.test(last)) return "error_event";
  return status >= 400 ? "json" : "eof";
}

/** requestId → number of `request` lines the gateway logged for it. */
function logLines(logs: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const line of logs) {
    const entry = JSON.parse(line) as { msg?: string; requestId?: string };
    if (entry.msg === "request" && entry.requestId) seen.set(entry.requestId, (seen.get(entry.requestId) ?? 0) + 1);
  }
  return seen;
}

export function createLedger(options: { baseURL: string; timeoutMs: number }): Ledger {
  const sent = new Set<string>();
  const ended = new Map<string, Outcome[]>();
  const record = (o: Outcome) => {
    const list = ended.get(o.id) ?? [];
    list.push(o);
    ended.set(o.id, list);
    return o;
  };
  return {
    async send({ body, headers = {}, path = "/chat/completions", abortAfterMs }) {
      const id = `ledger-${randomUUID()}`;
      sent.add(id);
      const t0 = performance.now();
      const bound = AbortSignal.timeout(options.timeoutMs);
      const signal = abortAfterMs === undefined ? bound : AbortSignal.any([bound, AbortSignal.timeout(abortAfterMs)]);
      let res: Response | undefined;
      try {
        res = await fetch(`${options.baseURL}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": id, ...headers },
          body: typeof body === "string" ? body : JSON.stringify(body),
          signal,
        });
        const text = await res.text();
        return record({ id, status: res.status, end: classify(res.status, text, res.headers.get("content-type") ?? ""), body: text, headers: res.headers, ms: performance.now() - t0 });
      } catch {
        const end = bound.aborted ? "timeout" : "network_error";
        return record({ id, ...(res ? { status: res.status } : {}), end, body: "", headers: res?.headers, ms: performance.now() - t0 });
      }
    },
    outcomes: () => [...ended.values()].flat(),
    async verify({ logs } = {}) {
      const problems: string[] = [];
      for (const id of sent) {
        const list = ended.get(id) ?? [];
        if (list.length !== 1) problems.push(`${id}: ${list.length} terminal outcomes`);
        if (list[0]?.end === "timeout") problems.push(`${id}: no answer within ${options.timeoutMs} ms`);
        const echoed = list[0]?.headers?.get("x-request-id");
        if (list[0]?.status !== undefined && echoed !== id) problems.push(`${id}: answered as ${echoed}`);
      }
      if (logs) {
        let seen = logLines(logs);
        for (let t = 0; t < 40 && [...sent].some((id) => seen.get(id) !== 1); t++) {
          await new Promise((r) => setTimeout(r, 50));
          seen = logLines(logs);
        }
        for (const id of sent) if (seen.get(id) !== 1) problems.push(`${id}: ${seen.get(id) ?? 0} gateway log lines`);
      }
      if (problems.length > 0) throw new Error(`request ledger: ${problems.length} of ${sent.size} requests wrong:\n${problems.slice(0, 20).join("\n")}`);
    },
  };
}
