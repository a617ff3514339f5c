/**
 * adapter: asks the provider to run a local model with a LoRA adapter loaded (the
 * fine-tuned mitigation), by setting `call.adapter`. Models without adapters pass
 * through with the reason recorded; a profile naming an adapter the model lacks is
 * rejected at startup.
 */
import type { Mitigation } from "./types.js";
import type { ModelConfig } from "../config/schema.js";

export function adapterFor(model: ModelConfig, name: string | undefined): { adapter?: string; skipped?: string } {
  if (model.provider !== "local") return { skipped: "remote model: adapters apply to local models only" };
  if (model.adapters.length === 0) return { skipped: "model has no adapters configured" };
  if (name === undefined) return { adapter: model.adapters[0]!.name };
  return model.adapters.some((a) => a.name === name) ? { adapter: name } : { skipped: `model has no adapter named '${name}'` };
}

export function createAdapter(options: { name?: string | undefined }): Mitigation {
  return {
    name: "adapter",
    async transformCall({ call, ctx }) {
      const choice = adapterFor(ctx.model, options.name);
      if (!choice.adapter) return { verdict: "pass", data: choice };
      return { verdict: "modified", data: choice, transformed: { ...call, adapter: choice.adapter } };
    },
  };
}
