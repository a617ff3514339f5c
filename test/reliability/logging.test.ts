/**
 * The logger is the one choke point for secrets and size: configured secrets and
 * key-shaped tokens never reach a line, whatever field carries them (message, error,
 * nested object, object key), and no field or line is unbounded. Plus the two
 * gateway lines the issue found: the "unhandled error" line that embedded a whole
 * upstream body (key included), and the error line a client disconnect produced.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { configSecrets } from "../../src/server/secrets.js";
import { createLogger, DEFAULT_LOG_LIMITS } from "../../src/util/log.js";
import { repoRoot, startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";

const SECRET = "planted-secret-c0ffee-1234";

function capture(secrets: string[] = [SECRET]) {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", write: (l) => void lines.push(l) }).withSecrets(secrets);
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

describe("logger redaction and caps", () => {
  it("redacts a configured secret in the message, fields, nested values, errors and object keys", () => {
    const { logger, lines } = capture();
    const err = Object.assign(new Error(`upstream said: key ${SECRET} is wrong`), { code: "E_UP" });
    logger.error(`msg with ${SECRET}`, { err, nested: { deep: [{ v: `x${SECRET}y` }] }, [SECRET]: 1 });
    logger.child({ base: SECRET }).info("child");
    expect(lines.join("")).not.toContain(SECRET);
    expect(lines.join("")).toContain("[redacted]");
    expect(JSON.parse(lines[0]!).err).toMatchObject({ name: "Error", code: "E_UP" });
  });

  it("redacts key-shaped tokens and URL credentials nobody configured", () => {
    const { logger, lines } = capture([]);
    logger.warn("x", { a: "Authorization: Bearer abc.def-123", b: "sk-proj-0123456789abcdef", c: "redis://user:hunter22@cache:6379/0" });
    const text = lines.join("");
    for (const leaked of ["abc.def-123", "0123456789abcdef", "hunter22"]) expect(text).not.toContain(leaked);
  });

  it("caps each field without leaving half a secret at the cut", () => {
    const { logger, parsed } = capture();
    const max = DEFAULT_LOG_LIMITS.maxFieldChars;
    // The secret straddles the cut: its first half must not survive.
    const body = "a".repeat(max - 10) + SECRET + "b".repeat(5_000_000);
    logger.error("unhandled error", { body });
    const line = parsed()[0]!;
    expect(line.body.length).toBeLessThan(max + 100);
    expect(line.body).not.toContain(SECRET.slice(0, 10));
    expect(line.body).toMatch(/more chars\]$/);
  });

  it("replaces an over-long line by a truncated one that still parses", () => {
    const { logger, lines, parsed } = capture();
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, "v".repeat(1_000) + SECRET]));
    logger.info("wide", many);
    expect(lines[0]!.length).toBeLessThanOrEqual(DEFAULT_LOG_LIMITS.maxLineChars + 200);
    expect(parsed()[0]).toMatchObject({ level: "info", msg: "wide" });
    expect(parsed()[0]!.truncated).toBeGreaterThan(DEFAULT_LOG_LIMITS.maxLineChars);
    expect(lines[0]).not.toContain(SECRET);
  });

  it("collects every secret a config carries", () => {
    const config = parseConfig(
      {
        server: { apiKeys: ["gw-key-aaaa"], metrics: { bearerTokens: ["scrape-bbbb"] } },
        models: [{ name: "m", provider: "openai-compatible", model: "x", baseURL: "http://u:p4ssw0rd@127.0.0.1:1/v1", apiKey: "sk-cccc", headers: { "x-token": "hdr-dddd" } }],
        state: { url: "redis://:r3d1s-pass%21@127.0.0.1:6379/0" },
        rag: { enabled: false, storageOptions: { aws_secret_access_key: "s3-eeee", region: "eu-west-1" } },
      },
      { baseDir: repoRoot, source: "test" },
    );
    const secrets = configSecrets(config, {});
    expect(secrets).toEqual(expect.arrayContaining(["gw-key-aaaa", "scrape-bbbb", "sk-cccc", "hdr-dddd", "p4ssw0rd", "r3d1s-pass%21", "r3d1s-pass!", "s3-eeee"]));
    expect(secrets).not.toContain("eu-west-1");
  });
});

describe("gateway log lines", () => {
  const KEY = "sk-upstream-secret-key-123456";
  let up: ScriptedUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    up = await startScriptedUpstream();
    gw = await startGateway({ config: { models: [upstreamModel(up, { apiKey: KEY })] }, logLevel: "info" });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });
  const post = (body: object) => fetch(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("an upstream answering 200 with a 5 MB HTML page that echoes the key gives a bounded line without the key", async () => {
    const page = `<html><body>Invalid key ${KEY}</body>${"<p>x</p>".repeat(640_000)}</html>`;
    up.enqueue({ kind: "json", body: page });
    const before = gw.logs.length;
    const res = await post({ model: "up", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await res.text()).not.toContain(KEY);
    await new Promise((r) => setTimeout(r, 50));
    const lines = gw.logs.slice(before);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).not.toContain(KEY);
      expect(l.length).toBeLessThanOrEqual(DEFAULT_LOG_LIMITS.maxLineChars + 200);
    }
  });

  it("a client that leaves before the first byte is not an error-level line", async () => {
    up.enqueue({ kind: "stall" });
    const before = gw.logs.length;
    const n = up.chatRequests().length;
    const req = http.request(`${gw.baseURL}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" } });
    req.on("error", () => undefined);
    req.end(JSON.stringify({ model: "up", messages: [{ role: "user", content: "leave" }] }));
    await up.waitForRequests(n + 1);
    req.destroy();
    await up.waitForClientClose(up.requests.length - 1);
    await new Promise((r) => setTimeout(r, 100));
    const lines = gw.logs.slice(before).map((l) => JSON.parse(l) as { level: string; msg: string; status?: number });
    expect(lines.find((l) => l.msg === "request")?.status).toBe(499);
    expect(lines.filter((l) => l.level === "error" || l.level === "warn")).toEqual([]);
  });
});
