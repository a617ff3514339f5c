/**
 * Gateway overhead without the process boundary: a scripted upstream and the gateway core (no
 * mitigations) in this process, one keep-alive client at c=1 alternating direct and gateway calls,
 * 3 rounds. Cheap enough to run before and after a change (`git stash`) and to profile:
 *   npx tsx bench/gateway-inprocess.ts [requests per round]
 *   node --import tsx --cpu-prof --cpu-prof-dir /tmp/prof bench/gateway-inprocess.ts 4000
 * `npm run bench:gateway` (separate processes, Portkey beside it) is the reference figure.
 */
import http from "node:http";
import { startGateway, upstreamModel } from "../test/helpers/gateway.js";
import { startScriptedUpstream } from "../test/helpers/scripted-upstream.js";

const up = await startScriptedUpstream();
const gw = await startGateway({ config: { models: [upstreamModel(up, { timeoutMs: 5000 })] }, services: { mitigationsFor: () => [] }, logLevel: "info" });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ model: "up", messages: [{ role: "user", content: "hi" }] });
function once(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(performance.now() - t0));
    });
    req.on("error", reject);
    req.end(body);
  });
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
const n = Number(process.argv[2] ?? 3000);
for (let round = 0; round < 3; round++) {
  const d: number[] = [];
  const g: number[] = [];
  for (let i = 0; i < n; i++) {
    d.push(await once(`${up.baseURL}/chat/completions`));
    g.push(await once(`${gw.baseURL}/chat/completions`));
  }
  console.log(`round ${round}: direct ${median(d).toFixed(3)} ms, gateway ${median(g).toFixed(3)} ms, added ${(median(g) - median(d)).toFixed(3)} ms`);
}
await gw.close();
await up.close();
agent.destroy();
