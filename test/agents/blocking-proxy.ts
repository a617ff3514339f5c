/**
 * A loopback HTTP proxy that refuses everything and records what was asked of
 * it. Agent runs get it as HTTP(S)_PROXY (with NO_PROXY for loopback), so an
 * agent that tries to reach the internet (update checks, telemetry, feature
 * flags) reaches nothing, even on a machine that has internet, and the test can
 * report which hosts it tried.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface BlockingProxy {
  url: string;
  /** `host:port` of each CONNECT, or the absolute URL of each plain request, in order. */
  attempts: string[];
  close(): Promise<void>;
}

const MAX_ATTEMPTS = 1000;

export async function startBlockingProxy(): Promise<BlockingProxy> {
  const attempts: string[] = [];
  const record = (what: string) => {
    if (attempts.length < MAX_ATTEMPTS) attempts.push(what);
  };
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    record(req.url ?? "");
    res.writeHead(403, { "content-type": "text/plain" });
    res.end("blocked by the test harness\n");
  });
  server.on("connect", (req, socket: Socket) => {
    // Clients often reset a refused tunnel; that is no error of the test.
    socket.on("error", () => socket.destroy());
    record(req.url ?? "");
    socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
  });
  server.on("connection", (s) => {
    s.on("error", () => s.destroy());
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
