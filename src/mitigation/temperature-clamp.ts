/** temperature-clamp: caps sampling temperature; the paper's rates climb steeply above 1. */
import type { Mitigation } from "./types.js";

export function createTemperatureClamp(options: { max: number }): Mitigation {
  return {
    name: "temperature-clamp",
    async transformCall({ call }) {
      // The model's defaults are already applied to the call by the gateway.
      const t = call.temperature;
      if (t === undefined || t <= options.max) return { verdict: "pass", data: { temperature: t ?? null, max: options.max } };
      return { verdict: "modified", data: { requested: t, applied: options.max }, transformed: { ...call, temperature: options.max } };
    },
  };
}
