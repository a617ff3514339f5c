/**
 * Builds one provider per configured model, keyed by the model's public name.
 * node-llama-cpp is imported only when a local model is configured, so a gateway
 * in front of remote APIs starts without loading native code.
 */
import type { Config, ModelConfig } from "../config/schema.js";
import type { Logger } from "../util/log.js";
import { AnthropicProvider } from "./anthropic.js";
import { OpenAICompatibleProvider } from "./openai-compatible.js";
import { OpenAIResponsesProvider } from "./openai-responses.js";
import type { Provider } from "./types.js";

export type ProviderRegistry = Map<string, Provider>;

export async function buildProviders(config: Config, options: { logger?: Logger } = {}): Promise<ProviderRegistry> {
  const providers: ProviderRegistry = new Map();
  for (const model of config.models) {
    if (providers.has(model.name)) throw new Error(`Duplicate model name '${model.name}' in config.models`);
    providers.set(model.name, await buildProvider(model, options));
  }
  return providers;
}

async function buildProvider(model: ModelConfig, options: { logger?: Logger }): Promise<Provider> {
  if (model.provider === "openai-compatible") return new OpenAICompatibleProvider(model, options);
  if (model.provider === "openai-responses") return new OpenAIResponsesProvider(model, options);
  if (model.provider === "anthropic") return new AnthropicProvider(model, options);
  const { LocalProvider } = await import("./local/index.js");
  return new LocalProvider(model, options);
}

export async function initProviders(providers: ProviderRegistry): Promise<void> {
  await Promise.all([...providers.values()].map((p) => p.init()));
}

export async function closeProviders(providers: ProviderRegistry): Promise<void> {
  await Promise.allSettled([...providers.values()].map((p) => p.close()));
}
