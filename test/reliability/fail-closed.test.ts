/**
 * Issue 16, defect 1: "strict fails open". A registry that stalls and an answer of 40
 * `pip install` lines of names the snapshot does not hold (each re-asked live): the check
 * cannot finish within `checkTimeoutMs`. `annotate` delivers the answer and reports it
 * `unchecked`; `strict` (block) withholds every install line. JSON and stream, through the
 * real gateway, checker and loopback registry, with the request-id ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, upstreamModel, type TestGateway } from "../helpers/gateway.js";
import { startScriptedUpstream, type ScriptedUpstream } from "../helpers/scripted-upstream.js";
import { startFakeRegistry, type FakeRegistry } from "../packages/fake-registry.js";
import { createLedger, type Ledger } from "./ledger.js";

let reg: FakeRegistry;
let up: ScriptedUpstream;
let gw: TestGateway;
let ledger: Ledger;
const NAMES = Array.from({ length: 40 }, (_, i) => `stalled-pkg-${i}-zz`);
const ANSWER = `Run these:\n\n\`\`\`bash\n${NAMES.map((n) => `pip install ${n}`).join("\n")}\n\`\`\`\n`;

beforeAll(async () => {
  reg = await startFakeRegistry();
  for (const n of NAMES) reg.slow.set(n, 30_000);
  up = await startScriptedUpstream();
  gw = await startGateway({
    config: {
      models: [upstreamModel(up)],
      packages: { mode: "live", registries: { npm: { url: reg.url }, pypi: { jsonUrl: `${reg.url}pypi/` } }, timeoutMs: 20_000 },
      mitigation: { verify: { checkTimeoutMs: 500 } },
    },
    logLevel: "info",
  });
  ledger = createLedger({ baseURL: gw.baseURL, timeoutMs: 8_000 });
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await up?.close();
  await reg?.close();
});

const ask = (profile: string, stream: boolean) => {
  up.enqueue(stream ? { kind: "stream", chunks: ANSWER.split(/(?<=\n)/) } : { kind: "json", content: ANSWER });
  return ledger.send({ body: { model: profile === "default" ? "up" : `up:${profile}`, stream, messages: [{ role: "user", content: "install them" }] } });
};

describe("a package check that cannot finish (stalled registry)", () => {
  for (const stream of [false, true]) {
    it(`annotate delivers the answer, reported unchecked (${stream ? "stream" : "JSON"})`, async () => {
      const o = await ask("default", stream);
      expect(o.status).toBe(200);
      expect(o.body).toContain(`pip install ${NAMES[39]}`);
      expect(o.body).toContain('"verdict":"unchecked"');
      expect(o.ms).toBeLessThan(4_000);
    });

    it(`strict withholds every install line (${stream ? "stream" : "JSON"})`, async () => {
      const o = await ask("strict", stream);
      expect(o.status).toBe(200);
      for (const n of NAMES) expect(o.body).not.toContain(`pip install ${n}`);
      expect(o.body).toContain("unchecked");
      expect(o.ms).toBeLessThan(4_000);
    });
  }

  it("every request ended exactly once and was logged once", async () => {
    await ledger.verify({ logs: gw.logs });
  });
});
