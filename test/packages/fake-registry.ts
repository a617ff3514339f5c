/**
 * A real loopback HTTP server playing both registries: npm packuments at `/<name>`,
 * the PyPI JSON API at `/pypi/<name>/json` and the simple index at `/simple/<name>/`.
 * It records every raw request path so tests can prove what reached the network.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakePackage {
  created?: string;
  latest?: string;
  repository?: string;
}

export interface FakeRegistry {
  url: string;
  npm: Map<string, FakePackage>;
  pypi: Map<string, FakePackage>;
  /** Raw request paths, in order. */
  requests: string[];
  /** Names answered with 500 / after a delay. */
  failing: Set<string>;
  slow: Map<string, number>;
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const state = { inFlight: 0 };
  const reg: Omit<FakeRegistry, "url" | "close"> = {
    npm: new Map(), pypi: new Map(), requests: [], failing: new Set(), slow: new Map(), maxInFlight: 0,
  };
  const server: Server = createServer((req, res) => {
    const raw = req.url ?? "/";
    reg.requests.push(raw);
    state.inFlight++;
    reg.maxInFlight = Math.max(reg.maxInFlight, state.inFlight);
    // Counted until the exchange ends either way (answered or abandoned by the client).
    res.on("close", () => state.inFlight--);
    const done = (status: number, body?: unknown): void => {
      if (res.destroyed) return;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body === undefined ? JSON.stringify({ error: "Not found" }) : JSON.stringify(body));
    };
    const pypiJson = /^\/pypi\/([^/]+)\/json$/.exec(raw);
    const simple = /^\/simple\/([^/]+)\/$/.exec(raw);
    const name = decodeURIComponent(pypiJson?.[1] ?? simple?.[1] ?? raw.slice(1));
    const route = (): [number, unknown?] => {
      if (reg.failing.has(name)) return [500];
      if (pypiJson || simple) {
        const p = reg.pypi.get(name);
        if (!p) return [404];
        if (simple) return [200, { name, files: [{ filename: `${name}-1.0.tar.gz`, "upload-time": p.created }] }];
        return [200, {
          info: { name, version: p.latest ?? "1.0.0", project_urls: p.repository ? { Source: p.repository } : null },
          releases: { [p.latest ?? "1.0.0"]: [{ upload_time_iso_8601: p.created ?? "2015-01-01T00:00:00Z" }] },
        }];
      }
      const p = reg.npm.get(name);
      if (!p) return [404];
      return [200, {
        name, "dist-tags": { latest: p.latest ?? "1.0.0" },
        time: { created: p.created ?? "2015-01-01T00:00:00.000Z" },
        ...(p.repository ? { repository: { type: "git", url: p.repository } } : {}),
      }];
    };
    const delay = reg.slow.get(name) ?? 0;
    setTimeout(() => done(...route()), delay);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(reg, {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
}
