/**
 * slopguard as a library: build the gateway from a config and serve it yourself,
 * or reuse its parts (providers, config loader, metrics registry).
 *
 *   import { loadConfig, buildGateway, listen } from "slopguard";
 *   const gw = await buildGateway(loadConfig({ path: "slopguard.yaml" }));
 *   await listen(gw.app, { host: "127.0.0.1", port: 8080 });
 */
export { loadConfig, parseConfig, defaultConfigPath, ConfigError } from "./config/load.js";
export { ConfigSchema, type Config, type ModelConfig } from "./config/schema.js";
export { buildGateway, type Gateway, type BuildOptions } from "./server/bootstrap.js";
export { createApp, type GatewayServices } from "./server/app.js";
export { listen, type RunningServer } from "./server/http.js";
export { buildProviders, type ProviderRegistry } from "./providers/index.js";
export { ProviderError, type Provider, type CallOptions } from "./providers/types.js";
export { registry, metrics } from "./metrics/index.js";
export { createLogger, type Logger } from "./util/log.js";
export type { ChatRequest, ChatCompletion, ChatCompletionChunk } from "./codecs/chat/schema.js";
export type * from "./core/parts.js";
