/**
 * Where the registries are. Never a host name in code: the config file wins, then
 * the user's own npm and pip configuration, the same places npm and pip look.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { PackagesConfig } from "./config.js";

const run = promisify(execFile);

export interface RegistryUrls {
  /** npm registry base, with a trailing slash. */
  npm?: string;
  /** PEP 503 simple index, trailing slash. */
  pypiSimple?: string;
  /** PyPI JSON API base (`<base>/<name>/json`), trailing slash. */
  pypiJson?: string;
}

const slash = (u: string): string => (u.endsWith("/") ? u : `${u}/`);

async function tryCommand(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 5000, env: { ...process.env, NO_UPDATE_NOTIFIER: "1" } });
    const v = stdout.trim().split(/\s+/)[0];
    return v && /^(https?|file):\/\//.test(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `.../simple/` → `.../pypi/`: the JSON API sits beside the simple index on the usual index servers. */
export function jsonBaseOfIndex(indexUrl: string): string | undefined {
  const m = /^(.*\/)simple\/?$/.exec(indexUrl);
  return m && !indexUrl.startsWith("file:") ? `${m[1]}pypi/` : undefined;
}

export async function discoverRegistryUrls(config: PackagesConfig, env: NodeJS.ProcessEnv = process.env): Promise<RegistryUrls> {
  const npm = config.registries.npm.url ?? env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY ?? (await tryCommand("npm", ["config", "get", "registry"]));
  const index =
    config.registries.pypi.indexUrl ??
    env.PIP_INDEX_URL ??
    (await tryCommand("python3", ["-m", "pip", "config", "get", "global.index-url"]));
  const json = config.registries.pypi.jsonUrl ?? (index ? jsonBaseOfIndex(index) : undefined);
  const urls: RegistryUrls = {};
  if (npm) urls.npm = slash(npm);
  if (index) urls.pypiSimple = slash(index);
  if (json) urls.pypiJson = slash(json);
  return urls;
}
