/**
 * `npm run bench:packages`: snapshot load time and RSS, check of a typical 2 KB
 * answer (warm), nearest name over the full PyPI list (pruned index vs naive scan,
 * side by side in one process, same queries, results compared).
 */
import { performance } from "node:perf_hooks";
import { createPackageChecker, loadSnapshot } from "../src/packages/index.js";
import { NameIndex, naiveWithin, best } from "../src/packages/suggest.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
const mb = (b: number): string => (b / 1048576).toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;

// 1. Snapshot load (first, so RSS is not muddied by later work).
gc?.();
const rss0 = process.memoryUsage().rss;
const snapshot = loadSnapshot();
gc?.();
const rss1 = process.memoryUsage().rss;
const loads = [snapshot.loadMs];
for (let i = 0; i < 4; i++) loads.push(loadSnapshot().loadMs);
console.log(`snapshot: ${snapshot.pypi.names.size} PyPI + ${snapshot.npm.names.size} npm names`);
console.log(`  load: first ${snapshot.loadMs.toFixed(0)} ms, median of 5 ${median(loads).toFixed(0)} ms; extra RSS after first load ${mb(rss1 - rss0)} MB${gc ? " (after gc)" : ""}`);

// 2. Check of a typical 2 KB answer, warm.
const answer = `Here is a small Flask service that stores uploaded images in S3 and returns thumbnails.

\`\`\`bash
pip install flask boto3 Pillow python-dotenv "requests>=2.31" flask-image-thumbs
\`\`\`

\`\`\`python
import os
import io
import logging
from pathlib import Path

import boto3
import requests
from flask import Flask, request, jsonify
from PIL import Image
from dotenv import load_dotenv
from flask_image_thumbs import Thumbnailer

load_dotenv()
app = Flask(__name__)
s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET"]
log = logging.getLogger(__name__)


@app.post("/upload")
def upload():
    f = request.files["file"]
    img = Image.open(f.stream)
    img.thumbnail((256, 256))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    key = f"thumbs/{Path(f.filename).stem}.png"
    s3.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())
    log.info("stored %s", key)
    return jsonify({"key": key})


@app.get("/fetch")
def fetch():
    url = request.args["url"]
    resp = requests.get(url, timeout=10)
    resp.raise_for_status()
    return Thumbnailer().make(resp.content)


if __name__ == "__main__":
    app.run(port=8000)
\`\`\`

Run it with \`python app.py\` after setting \`BUCKET\`. The \`flask-image-thumbs\` helper keeps
the thumbnail code short; Pillow does the resizing and boto3 talks to S3.

To try it locally, start the server and post an image:

\`\`\`bash
export BUCKET=my-test-bucket
python app.py &
curl -F "file=@cat.jpg" http://127.0.0.1:8000/upload
\`\`\`

For production, put it behind gunicorn (\`pip install gunicorn\`) and give the instance role
write access to the bucket only. Thumbnails are PNG so that transparency survives; switch to
JPEG with \`format="JPEG"\` if size matters more. Large uploads should be streamed rather than
read into memory, and you may want to validate the content type before opening the file.
Keep the AWS credentials out of the code: \`python-dotenv\` loads them from a \`.env\` file in
development, and the instance profile provides them in production.
`;
const dir = mkdtempSync(join(tmpdir(), "slopguard-bench-"));
for (const wl of ["memory", "lmdb"] as const) {
  const checker = createPackageChecker({ config: { mode: "offline", watchlistPath: join(dir, "wl") }, snapshot, ...(wl === "memory" ? { watchlist: "memory" as const } : {}) });
  const cold = performance.now();
  await checker.check({ text: answer });
  if (wl === "memory") console.log(`first check after start-up (builds the popular-name indexes): ${(performance.now() - cold).toFixed(0)} ms`);
  for (let i = 0; i < 300; i++) await checker.check({ text: answer });
  const times: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    await checker.check({ text: answer });
    times.push(performance.now() - t);
  }
  const extract: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    checker.extract({ text: answer });
    extract.push(performance.now() - t);
  }
  const r = await checker.check({ text: answer });
  console.log(`check of a ${Buffer.byteLength(answer)} B answer (${r.totals.packages} packages, ${r.verdict}), warm, watchlist=${wl}: median ${median(times).toFixed(3)} ms, p99 ${p99(times).toFixed(3)} ms; extraction alone median ${median(extract).toFixed(3)} ms`);
  await checker.close();
}
rmSync(dir, { recursive: true, force: true });

// 3. Nearest name over the full PyPI list: pruned index vs naive scan.
const pypi = snapshot.pypi.names;
const index = new NameIndex(pypi);
console.log(`nearest name over all ${index.size} PyPI names: index built in ${index.buildMs.toFixed(0)} ms (lazily, on first use)`);
let seed = 7;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const popular = [...snapshot.pypi.rank.keys()];
const mutate = (s: string): string => {
  const i = Math.floor(rand() * s.length);
  const ops = [() => s.slice(0, i) + s.slice(i + 1), () => s.slice(0, i) + "x" + s.slice(i), () => s.slice(0, i) + "q" + s.slice(i + 1), () => s + "-helper", () => `py${s}`];
  return ops[Math.floor(rand() * ops.length)]!();
};
const queries = Array.from({ length: 40 }, (_, k) => (k % 4 === 3 ? `easy-${popular[Math.floor(rand() * 2000)]}-tools` : mutate(popular[Math.floor(rand() * 3000)]!)));
const score = (m: { index: number; name: string }): number => snapshot.pypi.rank.get(m.name) ?? 1e9;
for (let k = 0; k < 10; k++) for (const q of queries) index.within(q, 2); // JIT warm-up
let agree = 0;
const fast: number[] = [];
const slow: number[] = [];
for (const q of queries) {
  const reps: number[] = [];
  let a;
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    a = best(index.within(q, 2), score);
    reps.push(performance.now() - t0);
  }
  fast.push(median(reps));
  const t = performance.now();
  const b = best(naiveWithin(pypi, q, 2), score);
  slow.push(performance.now() - t);
  if (a?.name === b?.name && a?.distance === b?.distance) agree++;
}
console.log(`  ${queries.length} queries (typos of popular names and invented names), max distance 2, same queries side by side:`);
console.log(`  pruned index: median ${median(fast).toFixed(3)} ms, max ${Math.max(...fast).toFixed(3)} ms (each query: median of 5 runs)`);
console.log(`  naive scan:   median ${median(slow).toFixed(1)} ms`);
console.log(`  speed-up: ${(median(slow) / median(fast)).toFixed(0)}× (median/median); identical best match on ${agree}/${queries.length} queries`);
