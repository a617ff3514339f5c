/**
 * Hand-written SVG charts (no chart library, no scripts): bars with CI whiskers,
 * histograms and line charts. Every chart carries a role="img" title and one
 * `data-series` attribute per series so a test can check what was drawn.
 */

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const W = 580;
const H = 300;
const M = { top: 28, right: 16, bottom: 64, left: 52 };
const COLORS = ["#3867d6", "#eb3b5a", "#20bf6b", "#f7b731", "#8854d0", "#0fb9b1", "#4b6584", "#fa8231"];
export const color = (i: number) => COLORS[i % COLORS.length]!;

/** `height` grows past H only below the plot (room for slanted labels); the plot keeps its size. */
function frame(id: string, title: string, body: string, yLabel: string, yMax: number, yFmt: (v: number) => string, height = H): string {
  const ph = H - M.top - M.bottom;
  let ticks = "";
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = M.top + ph - (ph * i) / 4;
    ticks += `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${esc(yFmt(v))}</text>`;
  }
  return `<svg id="${esc(id)}" class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title><text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>${ticks}<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(yLabel)}</text><line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>${body}</svg>`;
}

const pctFmt = (v: number) => `${(v * 100).toFixed(v < 0.1 && v > 0 ? 1 : 0)}%`;

function niceMax(v: number, pct: boolean): number {
  if (!(v > 0)) return pct ? 0.1 : 1;
  if (pct) return Math.min(1, Math.ceil((v * 1.1) / 0.05) * 0.05);
  const p = 10 ** Math.floor(Math.log10(v));
  return Math.ceil((v * 1.1) / p) * p;
}

export interface Bar {
  label: string;
  value: number;
  lo?: number;
  hi?: number;
  series: string;
}

/** Grouped bars (one group per label, one bar per series) with optional CI whiskers. */
export function barChart(opts: { id: string; title: string; yLabel: string; bars: Bar[]; percent?: boolean }): string {
  const labels = [...new Set(opts.bars.map((b) => b.label))];
  const series = [...new Set(opts.bars.map((b) => b.series))];
  const yMax = niceMax(Math.max(0, ...opts.bars.map((b) => (Number.isFinite(b.hi) ? b.hi! : b.value))), opts.percent ?? true);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const gw = pw / Math.max(1, labels.length);
  const bw = Math.max(4, (gw * 0.8) / Math.max(1, series.length));
  const y = (v: number) => M.top + ph - (ph * Math.min(v, yMax)) / yMax;
  const fits = Math.max(0, ...labels.map((l) => Math.min(l.length, 22))) * 5.6 <= gw;
  let body = "";
  labels.forEach((label, li) => {
    const gx = M.left + li * gw + gw * 0.1;
    // Slanted only when the longest label would run into its neighbours (~5.6 px per character at 9-10 px).
    const lx = M.left + li * gw + gw / 2;
    const ly = H - M.bottom + 14;
    const text = esc(label.length > 22 ? label.slice(0, 21) + "…" : label);
    body +=
      !fits
        ? `<text transform="translate(${lx} ${ly - 6}) rotate(-30)" text-anchor="end" font-size="9">${text}</text>`
        : `<text x="${lx}" y="${ly}" text-anchor="middle" font-size="10">${text}</text>`;
    series.forEach((s, si) => {
      const b = opts.bars.find((x) => x.label === label && x.series === s);
      if (!b || !Number.isFinite(b.value)) return;
      const x = gx + si * bw;
      body += `<rect class="bar" data-series="${esc(s)}" data-label="${esc(label)}" data-value="${b.value}" x="${x}" y="${y(b.value)}" width="${bw - 2}" height="${M.top + ph - y(b.value)}" fill="${color(si)}"><title>${esc(`${s} / ${label}: ${pctFmt(b.value)}`)}</title></rect>`;
      if (Number.isFinite(b.lo) && Number.isFinite(b.hi)) {
        const cx = x + (bw - 2) / 2;
        body += `<g class="ci" stroke="#111"><line x1="${cx}" x2="${cx}" y1="${y(b.lo!)}" y2="${y(b.hi!)}"/><line x1="${cx - 4}" x2="${cx + 4}" y1="${y(b.lo!)}" y2="${y(b.lo!)}"/><line x1="${cx - 4}" x2="${cx + 4}" y1="${y(b.hi!)}" y2="${y(b.hi!)}"/></g>`;
      }
    });
  });
  // Slanted labels reach further down: the legend moves below them.
  const height = fits ? H : H + 40;
  body += legend(series, height);
  if (opts.bars.length === 0) body += `<text class="empty" x="${W / 2}" y="${M.top + ph / 2}" text-anchor="middle" font-size="12" fill="#777">no data in this run</text>`;
  return frame(opts.id, opts.title, body, opts.yLabel, yMax, opts.percent === false ? (v) => String(Math.round(v * 100) / 100) : pctFmt, height);
}

function legend(series: string[], height = H): string {
  return series.map((s, i) => `<g transform="translate(${M.left + (i % 4) * 150} ${height - 30 + Math.floor(i / 4) * 14})"><rect width="10" height="10" fill="${color(i)}"/><text x="14" y="9" font-size="10">${esc(s.length > 24 ? s.slice(0, 23) + "…" : s)}</text></g>`).join("");
}

/** Histograms of shares (each series normalised to sum 1), so runs of different size compare. */
export function histogramChart(opts: { id: string; title: string; xLabel: string; series: { name: string; counts: number[] }[]; maxBucket?: number }): string {
  const n = Math.min(opts.maxBucket ?? Infinity, Math.max(0, ...opts.series.map((s) => s.counts.length)));
  const bars: Bar[] = [];
  for (const s of opts.series) {
    const total = s.counts.reduce((a, b) => a + b, 0) || 1;
    for (let i = 0; i < n; i++) {
      // The last bucket collects the tail.
      const v = i === n - 1 ? s.counts.slice(i).reduce((a, b) => a + b, 0) : (s.counts[i] ?? 0);
      bars.push({ label: i === n - 1 && s.counts.length > n ? `${i}+` : String(i), value: v / total, series: s.name });
    }
  }
  return barChart({ id: opts.id, title: opts.title, yLabel: `share (${opts.xLabel} on x)`, bars });
}

/** Lines over a numeric x axis (temperature). */
export function lineChart(opts: { id: string; title: string; xLabel: string; series: { name: string; points: { x: number; y: number; lo?: number; hi?: number }[] }[] }): string {
  const pts = opts.series.flatMap((s) => s.points);
  const xMin = Math.min(0, ...pts.map((p) => p.x));
  const xMax = Math.max(1, ...pts.map((p) => p.x));
  const yMax = niceMax(Math.max(0, ...pts.map((p) => p.hi ?? p.y)), true);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + (pw * (v - xMin)) / (xMax - xMin || 1);
  const y = (v: number) => M.top + ph - (ph * Math.min(v, yMax)) / yMax;
  let body = "";
  for (let i = 0; i <= 4; i++) {
    const v = xMin + ((xMax - xMin) * i) / 4;
    body += `<text x="${x(v)}" y="${H - M.bottom + 14}" text-anchor="middle" font-size="10">${v.toFixed(2)}</text>`;
  }
  body += `<text x="${M.left + pw / 2}" y="${H - M.bottom + 28}" text-anchor="middle" font-size="11">${esc(opts.xLabel)}</text>`;
  opts.series.forEach((s, si) => {
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    const d = sorted.map((p, i) => `${i ? "L" : "M"}${x(p.x).toFixed(1)} ${y(p.y).toFixed(1)}`).join(" ");
    body += `<path class="line" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${color(si)}" stroke-width="2"/>`;
    for (const p of sorted) {
      body += `<circle cx="${x(p.x)}" cy="${y(p.y)}" r="3" fill="${color(si)}"><title>${esc(`${s.name} @ ${p.x}: ${pctFmt(p.y)}`)}</title></circle>`;
      if (p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo)) body += `<line class="ci" x1="${x(p.x)}" x2="${x(p.x)}" y1="${y(p.lo)}" y2="${y(p.hi)}" stroke="${color(si)}"/>`;
    }
  });
  body += legend(opts.series.map((s) => s.name));
  return frame(opts.id, opts.title, body, "hallucination rate", yMax, pctFmt);
}
