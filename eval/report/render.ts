/** report.md (tables) and report.html (the same tables plus SVG charts, self-contained). */
import type { PackageGroup, Summary } from "../metrics.js";
import type { RateCI } from "../stats.js";
import type { PaperFigures } from "./paper.js";
import { barChart, histogramChart, lineChart, type Bar } from "./svg.js";

export interface ReportMeta {
  title: string;
  command?: string;
  target?: string;
  sandbox?: string;
  wallSeconds?: number;
  notes?: string[];
}

const p = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(1)}%`);
const ci = (r: RateCI | undefined) => (r && Number.isFinite(r.rate) ? `${p(r.rate)} [${p(r.lo)}, ${p(r.hi)}] (${r.num}/${r.den})` : "–");
type Labelled = { model: string; profile: string; temperature: number };
const label = (g: Labelled) => `${g.model}:${g.profile}@${g.temperature}`;

/** Chart labels without what every group shares: one model at one temperature reads as just the profile. */
function chartLabel(groups: Labelled[]): (g: Labelled) => string {
  const oneModel = new Set(groups.map((g) => g.model)).size <= 1;
  const oneTemperature = new Set(groups.map((g) => g.temperature)).size <= 1;
  return (g) => `${oneModel ? "" : `${g.model}:`}${g.profile}${oneTemperature ? "" : `@${g.temperature}`}`;
}

type Table = { head: string[]; rows: string[][] };

function groupTable(groups: PackageGroup[], extra: "dataset" | "language" | null): Table {
  const head = ["model", "profile", "T", ...(extra ? [extra] : []), "prompts", "rate [95% CI] (halluc/pkgs)", "H1", "H2", "H3", "prompts ≥1", "unique", "unknown", "answers w/o pkgs (blocked)", "task fit", "ms/item"];
  const rows = groups.map((g) => [
    g.model,
    g.profile,
    String(g.temperature),
    ...(extra ? [g[extra]] : []),
    String(g.prompts),
    ci(g.rate),
    p(g.perHeuristic.h1?.rate),
    p(g.perHeuristic.h2?.rate),
    p(g.perHeuristic.h3?.rate),
    `${g.promptsWithHallucination.count} (${p(g.promptsWithHallucination.share)})`,
    String(g.uniqueHallucinated),
    String(g.unknown),
    `${g.answers.withoutPackages}/${g.answers.total} (${g.answers.blocked})`,
    g.taskFit ? `${p(g.taskFit.any)}${Object.entries(g.taskFit.perHeuristic).map(([h, v]) => ` ${h.toUpperCase()} ${p(v)}`).join("")}` : "–",
    Number.isFinite(g.meanItemMs) ? String(Math.round(g.meanItemMs)) : "–",
  ]);
  return { head, rows };
}

function tables(s: Summary, paper: PaperFigures): { title: string; t: Table; note?: string }[] {
  const out: { title: string; t: Table; note?: string }[] = [];
  out.push({ title: "Package hallucination rate per model × profile × temperature", t: groupTable(s.byProfile, null), note: "Rate = hallucinated packages / all packages over H1+H2+H3 (each answer's names counted once per heuristic). CI: 95 % percentile bootstrap over prompts." });
  out.push({ title: "Per language", t: groupTable(s.byLanguage, "language") });
  out.push({ title: "Per dataset", t: groupTable(s.byDataset, "dataset"), note: "Task fit: share of answers that name the package the prompt was written from (testbed sets only)." });
  if (s.persistence.length)
    out.push({
      title: "Persistence (paper Figure 5)",
      t: {
        head: ["model:profile@T", "repeats", "names (repeat 0)", "recur in all later repeats", "never recur", "histogram 0..R-1"],
        rows: [
          ...s.persistence.map((x) => [label(x), String(x.repeats), String(x.names), p(x.always), p(x.never), x.histogram.join(" ")]),
          ...paper.persistence.map((x) => [`paper: ${x.model}`, "11", String(x.histogram.reduce((a, b) => a + b, 0)), p(x.always), p(x.never), x.histogram.join(" ")]),
        ],
      },
    });
  if (s.distance)
    out.push({
      title: "Levenshtein distance to the nearest valid name (paper Figure 9)",
      t: {
        head: ["", "unique names", "1–2 edits", "≥ 6 edits", "histogram 0..max"],
        rows: [
          ["this run", String(s.distance.names), p(s.distance.within2), p(s.distance.atLeast6), s.distance.histogram.join(" ")],
          ["paper", String(paper.distance.reduce((a, b) => a + b, 0)), p(paper.quoted.distanceWithin2), p(paper.quoted.distanceAtLeast6), paper.distance.slice(0, 16).join(" ") + " …"],
        ],
      },
    });
  if (s.crossLanguage)
    out.push({
      title: "Cross-language (paper Table 3)",
      t: { head: ["", "unique Python hallucinations", "valid npm names", "share"], rows: [["this run", String(s.crossLanguage.python), String(s.crossLanguage.validNpm), p(s.crossLanguage.share)], ["paper", "–", "–", p(paper.quoted.crossLanguage)]] },
    });
  if (s.temperatureSweep.length)
    out.push({
      title: "Temperature sweep (paper Figure 3)",
      t: { head: ["model:profile", "points (T: rate)"], rows: s.temperatureSweep.map((x) => [`${x.model}:${x.profile}`, x.points.map((pt) => `${pt.temperature}: ${p(pt.rate)}`).join(", ")]) },
    });
  if (s.humaneval.length)
    out.push({
      title: "HumanEval pass@1",
      t: { head: ["model", "profile", "T", "dataset", "tasks", "samples", "pass@1", "sandbox"], rows: s.humaneval.map((h) => [h.model, h.profile, String(h.temperature), h.dataset, String(h.tasks), String(h.samples), p(h.passAt1), h.sandbox]) },
    });
  return out;
}

function md(t: Table): string {
  const cell = (c: string) => c.replace(/\|/g, "\\|");
  return [`| ${t.head.map(cell).join(" | ")} |`, `| ${t.head.map(() => "---").join(" | ")} |`, ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

function metaLines(meta: ReportMeta, s: Summary): string[] {
  const lines = [`Generated ${s.generatedAt}. ${s.records} finished items, ${s.failedItems} failed (left out). Unknown verdicts counted as: ${s.unknownAs}.`];
  if (meta.target) lines.push(`Target: ${meta.target}`);
  if (meta.sandbox) lines.push(`Code execution: ${meta.sandbox === "unsandboxed" ? "**unsandboxed** (bubblewrap could not run; rlimits and timeout only)" : "bubblewrap sandbox"}`);
  if (meta.wallSeconds !== undefined) lines.push(`Wall time: ${meta.wallSeconds.toFixed(1)} s`);
  if (meta.command) lines.push(`Reproduce: \`${meta.command}\``);
  return [...lines, ...(meta.notes ?? [])];
}

export function renderMarkdown(s: Summary, paper: PaperFigures, meta: ReportMeta): string {
  const parts = [`# ${meta.title}`, "", ...metaLines(meta, s).map((l) => `${l}  `), ""];
  for (const { title, t, note } of tables(s, paper)) parts.push(`## ${title}`, "", md(t), "", ...(note ? [note, ""] : []));
  return parts.join("\n");
}

function charts(s: Summary, paper: PaperFigures): string[] {
  const out: string[] = [];
  const rateLabel = chartLabel(s.byLanguage);
  const bars: Bar[] = s.byLanguage.map((g) => ({ label: rateLabel(g), value: g.rate.rate, lo: g.rate.lo, hi: g.rate.hi, series: g.language }));
  out.push(barChart({ id: "chart-rate", title: "Package hallucination rate per profile (95% CI)", yLabel: "hallucination rate", bars }));
  out.push(barChart({ id: "chart-paper-rate", title: "Paper Figure 2: rate per model", yLabel: "hallucination rate", bars: paper.rates.flatMap((r) => [{ label: r.model, value: r.python, series: "python" }, { label: r.model, value: r.javascript, series: "javascript" }]) }));
  out.push(
    histogramChart({
      id: "chart-persistence",
      title: "Persistence: later repeats in which a hallucinated name recurs",
      xLabel: "recurrences",
      series: [...s.persistence.map((x) => ({ name: label(x), counts: x.histogram })), ...paper.persistence.map((x) => ({ name: `paper ${x.model}`, counts: x.histogram }))],
    }),
  );
  out.push(
    histogramChart({
      id: "chart-distance",
      title: "Levenshtein distance to the nearest valid name",
      xLabel: "edits",
      maxBucket: 13,
      series: [...(s.distance ? [{ name: "this run", counts: s.distance.histogram }] : []), { name: "paper (Fig. 9)", counts: paper.distance }],
    }),
  );
  out.push(
    lineChart({
      id: "chart-temperature",
      title: "Hallucination rate vs temperature",
      xLabel: "temperature",
      series: [
        ...s.temperatureSweep.map((x) => ({ name: `${x.model}:${x.profile}`, points: x.points.map((pt) => ({ x: pt.temperature, y: pt.rate, lo: pt.lo, hi: pt.hi })) })),
        ...paper.temperature.map((x) => ({ name: `paper ${x.model}`, points: x.points.map((pt) => ({ x: pt.temperature, y: pt.rate })) })),
      ],
    }),
  );
  out.push(barChart({ id: "chart-pass1", title: "HumanEval pass@1 per profile", yLabel: "pass@1", bars: s.humaneval.map((h) => ({ label: chartLabel(s.humaneval)(h), value: h.passAt1, series: h.dataset })) }));
  return out;
}

const escHtml = (x: string) => x.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderHtml(s: Summary, paper: PaperFigures, meta: ReportMeta): string {
  const tableHtml = (t: Table) =>
    `<table><thead><tr>${t.head.map((h) => `<th>${escHtml(h)}</th>`).join("")}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${escHtml(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  const sections = tables(s, paper)
    .map(({ title, t, note }) => `<section><h2>${escHtml(title)}</h2>${tableHtml(t)}${note ? `<p class="note">${escHtml(note)}</p>` : ""}</section>`)
    .join("\n");
  const meta_ = metaLines(meta, s)
    .map((l) => `<li>${escHtml(l).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>").replace(/`(.+?)`/g, "<code>$1</code>")}</li>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escHtml(meta.title)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:8px 0;font-size:12px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{border:1px solid #eee;background:#fff}.note{color:#555;font-size:12px}code{background:#f4f4f4;padding:1px 3px}
</style></head><body>
<h1>${escHtml(meta.title)}</h1><ul>${meta_}</ul>
<div class="charts">${charts(s, paper).join("\n")}</div>
${sections}
</body></html>
`;
}
