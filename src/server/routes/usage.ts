import type { Response } from "express";
import type { Usage } from "../../core/parts.js";
import { metrics } from "../../metrics/index.js";

/** Token and time-to-first-token bookkeeping every API's route shares. */
export function usageRecorder(res: Response, model: string) {
  return {
    usage(u: Usage): void {
      // Charged to the key's tokens-per-minute budget (rate-limit.ts), which reads OpenAI's names.
      res.locals.usage = { prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens };
      metrics.inputTokens.inc({ model }, u.inputTokens);
      metrics.outputTokens.inc({ model }, u.outputTokens);
    },
    firstContent(): void {
      metrics.timeToFirstToken.observe({ model }, (performance.now() - (res.locals.startedAt as number)) / 1000);
    },
  };
}
