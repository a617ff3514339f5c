/**
 * Validates rendered Kubernetes objects against the API schemas shipped by
 * `kubernetes-models` (and `@kubernetes-models/prometheus-operator` for the CRDs).
 *
 * Those compiled validators check types and required fields but, like the API
 * server without `--validate=strict`, accept unknown fields, so a typo such as
 * `readinesProbe` would pass. We run them over a proxy that records every field
 * the validator looks at: the validator reads each field its schema declares, so
 * a field it never read is not in the schema.
 */
type Plain = Record<string, unknown>;

interface ModelClass {
  new (data: Plain): { validate(): void; toJSON(): Plain };
}

const MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  v1: () => import("kubernetes-models/v1"),
  "apps/v1": () => import("kubernetes-models/apps/v1"),
  "autoscaling/v2": () => import("kubernetes-models/autoscaling/v2"),
  "policy/v1": () => import("kubernetes-models/policy/v1"),
  "batch/v1": () => import("kubernetes-models/batch/v1"),
  "monitoring.coreos.com/v1": () => import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1"),
};

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
  const load = MODULES[apiVersion];
  if (!load) throw new Error(`no schema for apiVersion ${apiVersion} (kind ${kind})`);
  const model = (await load())[kind];
  if (typeof model !== "function") throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model as ModelClass;
}

function isObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Wraps `root` so that every property read is recorded under its JSON path. */
function recording(root: unknown): { proxy: unknown; reads: Map<string, Set<string>> } {
  const reads = new Map<string, Set<string>>();
  const wrap = (value: unknown, path: string): unknown => {
    if (typeof value !== "object" || value === null) return value;
    const seen = reads.get(path) ?? new Set<string>();
    reads.set(path, seen);
    return new Proxy(value as object, {
      get(target, key, receiver) {
        const child = Reflect.get(target, key, receiver);
        if (typeof key !== "string" || (Array.isArray(target) && key === "length")) return child;
        seen.add(key);
        return wrap(child, `${path}/${key}`);
      },
    });
  };
  return { proxy: wrap(root, ""), reads };
}

function unreadFields(value: unknown, path: string, reads: Map<string, Set<string>>, out: string[]): void {
  if (typeof value !== "object" || value === null) return;
  const seen = reads.get(path);
  for (const [key, child] of Object.entries(value)) {
    if (!seen?.has(key)) {
      out.push(`${path}/${key}`);
      continue;
    }
    unreadFields(child, `${path}/${key}`, reads, out);
  }
}

export interface ValidationResult {
  kind: string;
  name: string;
  errors: string[];
}

/** Schema errors plus fields the schema does not know, for one object. */
export async function validateObject(object: unknown): Promise<ValidationResult> {
  if (!isObject(object) || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    return { kind: "?", name: "?", errors: ["not a Kubernetes object (apiVersion/kind missing)"] };
  }
  const name = String((object.metadata as Plain | undefined)?.name ?? "?");
  const result: ValidationResult = { kind: object.kind, name, errors: [] };
  let Model: ModelClass;
  try {
    Model = await modelFor(object.apiVersion, object.kind);
  } catch (error) {
    result.errors.push((error as Error).message);
    return result;
  }
  const plain = new Model(object).toJSON();
  const { proxy, reads } = recording(plain);
  try {
    Model.prototype.validate.call(proxy);
  } catch (error) {
    result.errors.push((error as Error).message);
  }
  const unknown: string[] = [];
  // apiVersion/kind are checked by the model lookup above; the validator need not read them.
  unreadFields({ ...plain, apiVersion: undefined, kind: undefined }, "", reads, unknown);
  for (const field of unknown) if (!/^\/(apiVersion|kind)$/.test(field)) result.errors.push(`unknown field ${field}`);
  return result;
}
