/**
 * Every secret a config carries, for the logger's redaction (src/util/log.ts):
 * upstream API keys (and `OPENAI_API_KEY`, their fallback), upstream header values,
 * the gateway's own API keys and metrics tokens, passwords in Redis and registry
 * URLs, and credential-looking RAG storage options. Collected in one place so a new
 * secret-bearing setting has one list to join.
 */
import type { Config } from "../config/schema.js";

const SECRET_OPTION = /key|secret|token|password|credential|sas|signature/i;

export function configSecrets(config: Config, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [...config.server.apiKeys, ...config.server.metrics.bearerTokens];
  for (const model of config.models) {
    if (model.provider !== "openai-compatible") continue;
    if (model.apiKey) out.push(model.apiKey);
    else if (env.OPENAI_API_KEY) out.push(env.OPENAI_API_KEY);
    out.push(...Object.values(model.headers));
    out.push(...urlCredentials(model.baseURL));
  }
  if (config.state.url !== "memory") out.push(...urlCredentials(config.state.url));
  const { npm, pypi } = config.packages.registries;
  for (const u of [npm.url, pypi.indexUrl, pypi.jsonUrl]) if (u) out.push(...urlCredentials(u));
  for (const [k, v] of Object.entries(config.rag.storageOptions)) if (SECRET_OPTION.test(k)) out.push(v);
  return out.filter(Boolean);
}

/** The password (and a token-style user) of `scheme://user:pass@host`, raw and percent-decoded. */
function urlCredentials(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [];
  }
  const parts = [url.password, url.password ? "" : url.username].filter(Boolean);
  return parts.flatMap((p) => {
    try {
      const decoded = decodeURIComponent(p);
      return decoded === p ? [p] : [p, decoded];
    } catch {
      return [p];
    }
  });
}
