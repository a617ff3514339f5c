/**
 * A copy of a GGUF with fill-in-the-middle token ids added to its metadata
 * (`tokenizer.ggml.fim_{pre,suf,mid}_token_id`, which llama.cpp reads), so the local
 * provider's infill path runs on the tiny testbed model, whose own GGUF has none. The
 * model was never trained on FIM, so what it writes there is noise: the tests check the
 * path (infill tokens detected and used), not the text.
 *
 * GGUF v3 layout: magic, version, tensor count, KV count; the KVs; the tensor infos;
 * padding to `general.alignment` (32 by default); the tensor data. Tensor offsets are
 * relative to the data section, so inserting KVs only moves the data section.
 */
import { readFile, writeFile } from "node:fs/promises";

const TYPE_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
const UINT32 = 4;

class Reader {
  constructor(readonly buf: Buffer, public at = 0) {}
  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.at);
    this.at += 8;
    return v;
  }
  string(): string {
    const n = Number(this.u64());
    const s = this.buf.toString("utf8", this.at, this.at + n);
    this.at += n;
    return s;
  }
  skipValue(type: number): void {
    if (type === STRING) return void this.string();
    if (type === ARRAY) {
      const elem = this.u32();
      const n = Number(this.u64());
      if (elem === STRING || elem === ARRAY) for (let i = 0; i < n; i++) this.skipValue(elem);
      else this.at += n * TYPE_SIZE[elem]!;
      return;
    }
    const size = TYPE_SIZE[type];
    if (size === undefined) throw new Error(`GGUF: unknown value type ${type}`);
    this.at += size;
  }
}

function kvUint32(key: string, value: number): Buffer {
  const k = Buffer.from(key, "utf8");
  const out = Buffer.alloc(8 + k.length + 4 + 4);
  out.writeBigUInt64LE(BigInt(k.length), 0);
  k.copy(out, 8);
  out.writeUInt32LE(UINT32, 8 + k.length);
  out.writeUInt32LE(value, 12 + k.length);
  return out;
}

export async function withFimTokens(source: string, target: string, ids: { pre: number; suf: number; mid: number }): Promise<void> {
  const buf = await readFile(source);
  const r = new Reader(buf);
  if (buf.toString("ascii", 0, 4) !== "GGUF") throw new Error(`${source} is not a GGUF file`);
  r.at = 4;
  const version = r.u32();
  if (version < 2) throw new Error(`GGUF version ${version} is not supported here`);
  const tensors = Number(r.u64());
  const kvs = r.u64();
  const kvStart = r.at;
  let alignment = 32;
  for (let i = 0n; i < kvs; i++) {
    const key = r.string();
    const type = r.u32();
    if (key === "general.alignment" && type === UINT32) alignment = buf.readUInt32LE(r.at);
    if (key.startsWith("tokenizer.ggml.fim_")) throw new Error(`${source} already has ${key}`);
    r.skipValue(type);
  }
  const kvEnd = r.at;
  for (let i = 0; i < tensors; i++) {
    r.string();
    const dims = r.u32();
    r.at += 8 * dims + 4 + 8;
  }
  const infoEnd = r.at;
  const dataStart = Math.ceil(infoEnd / alignment) * alignment;
  const added = [kvUint32("tokenizer.ggml.fim_pre_token_id", ids.pre), kvUint32("tokenizer.ggml.fim_suf_token_id", ids.suf), kvUint32("tokenizer.ggml.fim_mid_token_id", ids.mid)];
  const header = Buffer.from(buf.subarray(0, kvStart));
  header.writeBigUInt64LE(kvs + BigInt(added.length), 16);
  const head = Buffer.concat([header, buf.subarray(kvStart, kvEnd), ...added, buf.subarray(kvEnd, infoEnd)]);
  const padding = Buffer.alloc((alignment - (head.length % alignment)) % alignment);
  await writeFile(target, Buffer.concat([head, padding, buf.subarray(dataStart)]));
}
