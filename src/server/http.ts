/**
 * Starts an app on a host/port and closes it gracefully: stop accepting, let
 * in-flight requests and streams finish for up to `graceMs`, then cancel the rest
 * (`onDeadline`: they get a 503 or an SSE error event), and cut what is still open
 * after a short settle time.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Express } from "express";

export interface CloseOptions {
  /** Called when the grace period ends with requests still running (the gateway aborts them). */
  onDeadline?: () => void;
  /** Time the cancelled requests get to write their error before their sockets are cut (default 1 s). */
  settleMs?: number;
}

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  /** Requests being answered now. */
  inFlight(): number;
  close(graceMs?: number, options?: CloseOptions): Promise<void>;
}

export async function listen(app: Express, options: { host: string; port: number }): Promise<RunningServer> {
  let draining = false;
  const active = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    active.add(res);
    // While draining, answer what arrives on open keep-alive connections but close them afterwards.
    if (draining) res.shouldKeepAlive = false;
    res.once("close", () => {
      active.delete(res);
      // The connection is idle only once Node has processed the response's end.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    app(req, res);
  });
  // Node's default 5 s keep-alive is shorter than many client pools' idle time, which causes resets.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    server,
    port,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    inFlight: () => active.size,
    close: (graceMs = 0, closeOptions = {}) =>
      new Promise<void>((resolve) => {
        draining = true;
        // Responses that have not started yet announce `Connection: close`; streams already going end first.
        for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
        server.close(() => resolve());
        server.closeIdleConnections();
        const deadline = () => {
          if (active.size > 0) closeOptions.onDeadline?.();
          const settle = setTimeout(cut, active.size > 0 ? (closeOptions.settleMs ?? 1_000) : 0);
          settle.unref();
        };
        if (graceMs === 0) {
          closeOptions.onDeadline?.();
          cut();
          return;
        }
        setTimeout(deadline, graceMs).unref();
      }),
  };
}
