/**
 * Starts an app on a host/port and closes it gracefully: stop accepting, let
 * in-flight requests and streams finish for up to `graceMs`, then cut the rest.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Express } from "express";

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  close(graceMs?: number): Promise<void>;
}

export async function listen(app: Express, options: { host: string; port: number }): Promise<RunningServer> {
  const server = http.createServer(app);
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
  return {
    server,
    port,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        const timer = setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, graceMs);
        timer.unref();
        if (graceMs === 0) for (const s of sockets) s.destroy();
      }),
  };
}
