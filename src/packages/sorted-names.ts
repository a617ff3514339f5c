/**
 * A sorted list of names kept as one UTF-8 buffer plus start offsets, searched by
 * binary search. 886k names as JS strings in a Set would cost ~60 MB and ~1 s to
 * build; this costs the buffer plus 4 bytes a name.
 */
export class SortedNames {
  readonly size: number;
  /** starts[i]..ends[i] is name i in `buf`. */
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;

  private constructor(private readonly buf: Buffer, starts: Uint32Array, ends: Uint32Array) {
    this.starts = starts;
    this.ends = ends;
    this.size = starts.length;
  }

  /**
   * Lines of `buf`, each `name` or `name<TAB>number`; already byte-order sorted by name.
   * Returns the list and the numbers column (0 where absent).
   */
  static fromLines(buf: Buffer): { names: SortedNames; values: Uint32Array } {
    let count = 0;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) count++;
    if (buf.length > 0 && buf[buf.length - 1] !== 10) count++;
    const starts = new Uint32Array(count);
    const ends = new Uint32Array(count);
    const values = new Uint32Array(count);
    let pos = 0;
    for (let k = 0; k < count; k++) {
      let nl = buf.indexOf(10, pos);
      if (nl === -1) nl = buf.length;
      let nameEnd = pos;
      while (nameEnd < nl && buf[nameEnd] !== 9) nameEnd++;
      starts[k] = pos;
      ends[k] = nameEnd;
      if (nameEnd < nl) values[k] = parseDigits(buf, nameEnd + 1, nl);
      pos = nl + 1;
    }
    return { names: new SortedNames(buf, starts, ends), values };
  }

  /** Index of `name`, or -1. */
  indexOf(name: string): number {
    const key = Buffer.from(name, "utf8");
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.buf.compare(key, 0, key.length, this.starts[mid], this.ends[mid]);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  has(name: string): boolean {
    return this.indexOf(name) !== -1;
  }

  at(i: number): string {
    return this.buf.toString("utf8", this.starts[i], this.ends[i]);
  }

  byteLength(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /** The backing buffer and offsets, read-only, for scanners that walk many names (constrained decoding). */
  view(): { buf: Buffer; starts: Uint32Array; ends: Uint32Array } {
    return { buf: this.buf, starts: this.starts, ends: this.ends };
  }

  /** Raw bytes of name i (no copy). */
  bytes(i: number): Buffer {
    return this.buf.subarray(this.starts[i], this.ends[i]);
  }
}

function parseDigits(buf: Buffer, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  return Math.min(v, 0xffffffff);
}
