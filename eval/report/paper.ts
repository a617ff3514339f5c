/** The seed paper's figure data (data/eval/paper/figures), in the shapes our charts use. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dataEvalDir } from "../datasets.js";

const pct = (s: string | undefined) => Number(String(s ?? "").replace("%", "")) / 100;

function rows(file: string): string[][] {
  return readFileSync(join(dataEvalDir(), "paper", "figures", file), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => l.split(","));
}

export interface PaperFigures {
  /** Figure 2: rate per model (Python, JavaScript). */
  rates: { model: string; python: number; javascript: number }[];
  /** Figure 3: rate vs temperature per model. */
  temperature: { model: string; points: { temperature: number; rate: number }[] }[];
  /** Figure 5: over 10 reruns, how many times each hallucination recurred (0..10). */
  persistence: { model: string; histogram: number[]; never: number; always: number }[];
  /** Figure 9: unique hallucinations by distance to the nearest valid name. */
  distance: number[];
  /** Quoted in the paper's text (§5 and Table 3/4). */
  quoted: { overall: number; persistenceAlways: number; persistenceNever: number; distanceWithin2: number; distanceAtLeast6: number; crossLanguage: number };
}

export function loadPaperFigures(): PaperFigures {
  const rates = rows("figure_2.csv").map(([m, py, js]) => ({ model: m!, python: Number(py) / 100, javascript: Number(js) / 100 }));
  const temp = new Map<string, { temperature: number; rate: number }[]>();
  for (const [m, r, t] of rows("figure_3.csv").slice(1)) {
    const arr = temp.get(m!) ?? [];
    arr.push({ temperature: Number(t), rate: pct(r) });
    temp.set(m!, arr);
  }
  const persistence = rows("figure_5.csv")
    .slice(1)
    .map((r) => {
      const histogram = r.slice(5, 16).map(Number);
      const total = histogram.reduce((a, b) => a + b, 0);
      return { model: r[0]!, histogram, never: histogram[0]! / total, always: histogram[10]! / total };
    });
  const distance: number[] = [];
  for (const [d, c] of rows("figure_9.csv").slice(1)) distance[Number(d)] = Number(c);
  for (let i = 0; i < distance.length; i++) distance[i] ??= 0;
  return {
    rates,
    temperature: [...temp].map(([model, points]) => ({ model, points })),
    persistence,
    distance,
    quoted: { overall: 0.197, persistenceAlways: 0.43, persistenceNever: 0.39, distanceWithin2: 0.134, distanceAtLeast6: 0.486, crossLanguage: 0.087 },
  };
}
