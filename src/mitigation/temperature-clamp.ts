/** temperature-clamp: caps sampling temperature; the paper's rates climb steeply above 1. */
import type { Mitigation } from "./types.js";

export function createTemperatureClamp(options: { max: number }): Mitigation {
  return {
    name: "temperature-clamp",
    async transformParams({ params, ctx }) {
      const t = params.temperature ?? ctx.model.defaults.temperature;
      if (t == null || t <= options.max) {
        ctx.records.push({ module: "temperature-clamp", verdict: "pass", durationMs: 0, data: { temperature: t ?? null, max: options.max } });
        return params;
      }
      ctx.records.push({ module: "temperature-clamp", verdict: "modified", durationMs: 0, data: { requested: t, applied: options.max } });
      return { ...params, temperature: options.max };
    },
  };
}
