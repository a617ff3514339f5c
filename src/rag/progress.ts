/** Build progress for people: a bar with ETA on a terminal, a line every 10 s in logs. */
import cliProgress from "cli-progress";
import type { BuildProgress } from "./build.js";

/** A progress bar with ETA on a terminal, plain lines otherwise (CI logs). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: BuildProgress) => void {
  const bar = new cliProgress.SingleBar(
    { format: "{phase} [{bar}] {percentage}% | {value}/{total} packages | ETA {eta_formatted}", stream, noTTYOutput: true, notTTYSchedule: 10_000 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return (p) => {
    if (p.phase === "embed" || p.phase === "write") {
      const phase = p.phase === "embed" ? "embedding" : "writing";
      if (!started) bar.start(p.total, p.done, { phase });
      else bar.update(p.done, { phase });
      started = true;
    } else if (p.done === 0) {
      if (started) bar.stop();
      stream.write("creating the ecosystem index (and the vector index, if any)…\n");
    }
  };
}

