/** Offsets → line numbers, by binary search over line starts (extractors report the line of each package). */

export function lineStarts(text: string): number[] {
  const s = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) s.push(i + 1);
  return s;
}

/** 0-based index of the line holding `offset`. */
export function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `offset → line` for a string whose first line is `firstLine`. */
export function lineIndex(text: string, firstLine = 1): (offset: number) => number {
  const starts = lineStarts(text);
  return (offset) => firstLine + lineOf(starts, offset);
}
