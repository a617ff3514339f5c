/** JSONL files, optionally gzipped (committed data is kept compressed). */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export function readJsonl(path: string): unknown[] {
  const buf = readFileSync(path);
  const text = (path.endsWith(".gz") ? gunzipSync(buf) : buf).toString("utf8");
  return text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);
}
