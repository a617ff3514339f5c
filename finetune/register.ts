/**
 * `slopguard finetune register`: adds a GGUF LoRA to a local model of a gateway config file and a mitigation
 * profile that selects it, editing the YAML in place (comments kept) and validating the result with the
 * gateway's own loader before writing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { isMap, isSeq, parseDocument, type YAMLMap } from "yaml";
import { parseConfig } from "../src/config/load.js";

export interface RegisterOptions {
  configPath: string;
  /** `name` of a local model in the config. */
  model: string;
  adapterPath: string;
  name: string;
  scale: number;
  profile: string;
}

export interface RegisterResult {
  config: string;
  model: string;
  adapter: { name: string; path: string; scale: number };
  profile: string;
  replaced: boolean;
}

export function registerAdapter(o: RegisterOptions): RegisterResult {
  if (!existsSync(o.adapterPath)) throw new Error(`adapter file not found: ${o.adapterPath}`);
  const configDir = dirname(resolve(o.configPath));
  // Relative to the config file, as the loader resolves it, so the config stays valid when the repo moves.
  const path = relative(configDir, resolve(o.adapterPath));
  const doc = parseDocument(readFileSync(o.configPath, "utf8"));
  const models = doc.get("models");
  if (!isSeq(models)) throw new Error(`${o.configPath} has no models list`);
  const model = models.items.find((m): m is YAMLMap => isMap(m) && m.get("name") === o.model);
  if (!model) throw new Error(`no model named '${o.model}' in ${o.configPath}`);
  if (model.get("provider") !== "local") throw new Error(`model '${o.model}' is not a local model; adapters need provider: local`);

  const entry = { name: o.name, path, scale: o.scale };
  const adapters = model.get("adapters");
  let replaced = false;
  if (isSeq(adapters)) {
    const i = adapters.items.findIndex((a) => isMap(a) && a.get("name") === o.name);
    replaced = i >= 0;
    if (replaced) adapters.set(i, doc.createNode(entry));
    else adapters.add(doc.createNode(entry));
  } else {
    model.set("adapters", doc.createNode([entry]));
  }
  doc.setIn(["mitigation", "profiles", o.profile], doc.createNode([{ module: "adapter", name: o.name }]));

  const text = doc.toString();
  // Throws with the key path when the edit would make the config invalid; nothing is written then.
  parseConfig(doc.toJS(), { baseDir: configDir, source: o.configPath });
  writeFileSync(o.configPath, text);
  return { config: o.configPath, model: o.model, adapter: entry, profile: o.profile, replaced };
}
