/**
 * Every Kustomize overlay renders with `kubectl kustomize`, and every rendered
 * object passes the Kubernetes (and Prometheus Operator) schemas with unknown
 * fields refused, plus the few cross-object facts a schema cannot see.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { repoRoot } from "../helpers/gateway.js";
import { validateObject } from "./k8s-validate.js";

const run = promisify(execFile);
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run("kubectl", ["kustomize", path.join(repoRoot, dir)], { maxBuffer: 1 << 24 });
  return parseAllDocuments(stdout).map((d) => d.toJSON() as K8sObject);
}

const find = (objects: K8sObject[], kind: string, name = "slopguard") =>
  objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name))!;

const ENV = { SLOPGUARD_API_KEY: "sk-test", REDIS_URL: "redis://slopguard-redis:6379/0" };

describe("schema validation catches mistakes", () => {
  it("reports a wrong type and a misspelt field", async () => {
    const result = await validateObject({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { replicas: "two", selector: {}, template: { spec: { containers: [{ name: "c", image: "i", readinesProbe: {} }] } } },
    });
    expect(result.errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/replicas must be integer/), "unknown field /spec/template/spec/containers/0/readinesProbe"]),
    );
  });
});

describe.each(["base", "overlays/cpu", "overlays/gpu"])("deploy/k8s/%s", (dir) => {
  let objects: K8sObject[] = [];

  beforeAll(async () => {
    objects = await render(`deploy/k8s/${dir}`);
  });

  it("renders objects that all validate against the Kubernetes schemas", async () => {
    const kinds = objects.map((o) => o.kind);
    for (const kind of ["Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule"]) {
      expect(kinds).toContain(kind);
    }
    const failures = (await Promise.all(objects.map(validateObject))).filter((r) => r.errors.length > 0);
    expect(failures).toEqual([]);
  });

  it("probes /readyz and /healthz on the served port and drains within the grace period", () => {
    const deployment = find(objects, "Deployment");
    const pod = deployment.spec.template.spec;
    const gateway = pod.containers.find((c: any) => c.name === "gateway");
    const port = gateway.ports.find((p: any) => p.name === "http");
    expect(gateway.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(gateway.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(gateway.resources.requests.cpu).toBeDefined();
    expect(gateway.resources.requests.memory).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const config = parseYaml(find(objects, "ConfigMap", "slopguard-config").data!["slopguard.yaml"]!);
    expect(config.server.port).toBe(port.containerPort);
    const preStop = Number(gateway.lifecycle.preStop.exec.command.at(-1));
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + config.server.shutdownGraceSeconds);
    const mount = gateway.volumeMounts.find((m: any) => m.name === "config");
    const configEnv = gateway.env.find((e: any) => e.name === "SLOPGUARD_CONFIG");
    expect(configEnv.value).toBe(`${mount.mountPath}/slopguard.yaml`);
  });

  it("ships a ConfigMap that is a valid gateway config, with secrets only as Secret references", () => {
    const text = find(objects, "ConfigMap", "slopguard-config").data!["slopguard.yaml"]!;
    const config = parseConfig(parseYaml(text), { env: ENV, source: dir });
    expect(config.state.url).toBe(ENV.REDIS_URL);
    expect(config.server.apiKeys).toEqual(["sk-test"]);
    expect(() => parseConfig(parseYaml(text), { env: {}, source: dir })).toThrow(/SLOPGUARD_API_KEY is not set/);
    const env = find(objects, "Deployment").spec.template.spec.containers[0].env as any[];
    const fromSecret = env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);
    expect(fromSecret).toEqual(expect.arrayContaining(["SLOPGUARD_API_KEY", "UPSTREAM_API_KEY"]));
    expect(env.every((e) => !/KEY/.test(e.name) || e.valueFrom)).toBe(true);
  });

  it("autoscales on CPU and/or in-flight requests, keeps replicas through disruptions and is scraped at /metrics", () => {
    const hpa = find(objects, "HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: find(objects, "Deployment").metadata.name });
    const pods = hpa.spec.metrics.find((m: any) => m.type === "Pods");
    expect(pods.pods.metric.name).toBe("slopguard_requests_in_flight");
    if (!dir.endsWith("gpu")) expect(hpa.spec.metrics.find((m: any) => m.type === "Resource")?.resource.name).toBe("cpu");
    expect(find(objects, "PodDisruptionBudget").spec.maxUnavailable).toBe(1);
    const service = find(objects, "Service");
    const monitor = find(objects, "ServiceMonitor");
    expect(monitor.spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });
    expect(service.spec.ports.map((p: any) => p.name)).toContain("http");
    expect(monitor.spec.selector.matchLabels).toEqual(expect.objectContaining(service.spec.selector));
  });
});

describe("gpu overlay", () => {
  it("asks for a GPU node, one nvidia.com/gpu, the CUDA image and the models volume", async () => {
    const objects = await render("deploy/k8s/overlays/gpu");
    const pod = find(objects, "Deployment").spec.template.spec;
    const gateway = pod.containers.find((c: any) => c.name === "gateway");
    expect(pod.nodeSelector).toEqual({ "nvidia.com/gpu.present": "true" });
    expect(gateway.resources.limits["nvidia.com/gpu"]).toBe(1);
    expect(gateway.image).toMatch(/cuda/);
    expect(gateway.volumeMounts).toEqual(expect.arrayContaining([{ name: "models", mountPath: "/models", readOnly: true }]));
    const claim = pod.volumes.find((v: any) => v.name === "models").persistentVolumeClaim.claimName;
    expect(objects.some((o) => o.kind === "PersistentVolumeClaim" && o.metadata.name === claim)).toBe(true);
    const config = parseConfig(parseYaml(find(objects, "ConfigMap", "slopguard-config").data!["slopguard.yaml"]!), { env: ENV });
    const local = config.models.find((m) => m.provider === "local" && m.gpu === "cuda");
    expect(local?.model).toMatch(/^\/models\//);
  });
});

describe("PrometheusRule", () => {
  it("carries exactly the groups of deploy/prometheus/alerts.yml", async () => {
    const rule = parseYaml(await readFile(path.join(repoRoot, "deploy/k8s/base/prometheusrule.yaml"), "utf8"));
    const file = parseYaml(await readFile(path.join(repoRoot, "deploy/prometheus/alerts.yml"), "utf8"));
    expect(rule.spec.groups).toEqual(file.groups);
  });
});

describe("deploy/k8s/eval (Indexed Job shards + merge)", () => {
  it("renders valid objects: one shard per profile of the eval config, all writing to the shared volume", async () => {
    const objects = await render("deploy/k8s/eval");
    const failures = (await Promise.all(objects.map(validateObject))).filter((r) => r.errors.length > 0);
    expect(failures).toEqual([]);
    const job = find(objects, "Job", "slopguard-eval");
    const evalConfig = parseYaml(find(objects, "ConfigMap", "slopguard-eval-config").data!["eval.yaml"]!);
    expect(job.spec.completionMode).toBe("Indexed");
    expect(job.spec.completions).toBe(evalConfig.profiles.length);
    const script: string = job.spec.template.spec.containers[0].args[0];
    expect(script).toContain(`set -- ${evalConfig.profiles.join(" ")}`);
    expect(script).toContain("shard-$JOB_COMPLETION_INDEX");
    const merge = find(objects, "Job", "slopguard-eval-merge");
    expect(merge.spec.template.spec.containers[0].args[0]).toContain(`--profile ${evalConfig.profiles.join(",")}`);
  });
});
