/**
 * The image, without a Docker engine: the Dockerfile's COPY sources exist and are
 * sent by .dockerignore, its CMD is `npm start`'s command, and the production
 * dependency set, laid out as the Dockerfile lays it out, starts and serves.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/gateway.js";
import { dockerignore, parseDockerfile, type Instruction } from "./dockerfile.js";
import { spawnGateway, type GatewayProcess } from "./gateway-process.js";

const run = promisify(execFile);
const read = (file: string) => readFile(path.join(repoRoot, file), "utf8");
const instructions = parseDockerfile(await read("deploy/Dockerfile"));
const sends = ((ignored) => (p: string) => !ignored(p))(dockerignore(await read(".dockerignore")));
const pkg = JSON.parse(await read("package.json")) as { scripts: Record<string, string> };
const finalStage = instructions.filter((i) => i.keyword === "FROM").at(-1)!.stage;
const contextCopies = instructions.filter((i) => i.keyword === "COPY" && !i.flags.from);

/** Files under `rel` that the build context would carry (ignored folders are not entered). */
async function sentFilesUnder(rel: string): Promise<string[]> {
  const info = await stat(path.join(repoRoot, rel));
  if (!info.isDirectory()) return sends(rel) ? [rel] : [];
  const out: string[] = [];
  for (const entry of await readdir(path.join(repoRoot, rel), { withFileTypes: true })) {
    const child = path.posix.join(rel, entry.name);
    if (entry.isDirectory()) {
      if (sends(child)) out.push(...(await sentFilesUnder(child)));
    } else if (sends(child)) out.push(child);
  }
  return out;
}

describe("deploy/Dockerfile", () => {
  it("copies from the context only paths that exist and that .dockerignore sends", async () => {
    expect(contextCopies.length).toBeGreaterThan(5);
    for (const copy of contextCopies) {
      for (const source of copy.args.slice(0, -1)) {
        expect(sends(source), `${source} is excluded by .dockerignore`).toBe(true);
        expect((await sentFilesUnder(source)).length, `nothing under ${source} reaches the build`).toBeGreaterThan(0);
      }
    }
  });

  it("keeps the context lean: no node_modules, venvs, git or models other than the embedded default's", () => {
    for (const p of ["node_modules/x", ".git/HEAD", "rag-index/embedder/.venv/bin/python", "models/testbed/hf/model.safetensors", "dist/src/cli.js", ".env"]) {
      expect(sends(p), p).toBe(false);
    }
    for (const p of ["models/testbed/pkg-halluc-testbed-f16.gguf", "models/embedder/onnx/model_quantized.onnx", "models/adapters/testbed-finetuned.gguf"]) {
      expect(sends(p), p).toBe(true);
    }
    const modelCopies = contextCopies.filter((c) => c.args.some((a) => a.startsWith("models/")));
    expect(modelCopies.flatMap((c) => c.args.slice(0, -1))).toEqual([
      "models/testbed/pkg-halluc-testbed-f16.gguf", "models/testbed/PROVENANCE.md", "models/adapters", "models/embedder",
    ]);
  });

  it("names only earlier stages in COPY --from and builds on node 20 slim, with a CUDA variant", () => {
    const stages: string[] = [];
    for (const i of instructions) {
      if (i.keyword === "FROM") stages.push(i.stage);
      if (i.keyword === "COPY" && i.flags.from) expect(stages, `COPY --from=${i.flags.from}`).toContain(i.flags.from);
    }
    expect(instructions.find((i) => i.keyword === "ARG" && i.args[0]?.startsWith("NODE_VERSION="))?.args[0]).toBe("NODE_VERSION=20");
    expect(instructions.find((i) => i.keyword === "FROM")?.args[0]).toBe("node:${NODE_VERSION}-bookworm-slim");
    expect(stages).toEqual(expect.arrayContaining(["runtime-cpu", "runtime-cuda"]));
    expect(instructions.find((i) => i.keyword === "FROM" && i.stage === finalStage)?.args[0]).toBe("runtime-${VARIANT}");
    const deps = instructions.filter((i) => i.stage === "deps" && i.keyword === "RUN").map((i) => i.args.join(" "));
    expect(deps.join(" ")).toContain("npm ci --omit=dev");
    // The final image takes node_modules from the production-only stage, never from the build stage.
    const modules = instructions.filter((i) => i.stage === finalStage && i.keyword === "COPY" && i.args.includes("/app/node_modules"));
    expect(modules.map((i) => i.flags.from)).toEqual(["deps"]);
  });

  it("runs `npm start`'s command as a non-root user with a HEALTHCHECK on /healthz", () => {
    const final = instructions.filter((i) => i.stage === finalStage);
    const cmd = final.find((i) => i.keyword === "CMD")!;
    const start = pkg.scripts.start!.split(/\s+/);
    expect(cmd.json).toBe(true);
    expect(cmd.args.slice(0, start.length)).toEqual(start);
    expect(cmd.args.join(" ")).toContain("--host 0.0.0.0");
    const port = cmd.args[cmd.args.indexOf("--port") + 1];
    expect(final.find((i) => i.keyword === "EXPOSE")?.args).toEqual([port]);
    const user = final.filter((i) => i.keyword === "USER").at(-1)?.args[0];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    const health = final.find((i) => i.keyword === "HEALTHCHECK")!;
    expect(health.args.join(" ")).toContain(`http://127.0.0.1:${port}/healthz`);
  });
});

describe("production install (npm ci --omit=dev) laid out as the image", () => {
  let dir = "";
  let gateway: GatewayProcess | undefined;

  afterAll(async () => {
    await gateway?.stop("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("starts from production dependencies only and serves /healthz, /readyz and a completion", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "slopguard-image-"));
    for (const f of ["package.json", "package-lock.json"]) await cp(path.join(repoRoot, f), path.join(dir, f));
    const [install] = await Promise.all([productionInstall(dir), compile(dir)]);
    expect(install.ok, install.log).toBe(true);
    await layOut(dir);
    const cmd = instructions.filter((i) => i.stage === finalStage).find((i) => i.keyword === "CMD")!.args;
    // As in the image, but on a free loopback port so parallel test files never collide.
    gateway = await spawnGateway({
      command: [process.execPath, ...cmd.slice(1), "--host", "127.0.0.1", "--port", "0"],
      cwd: dir,
      env: { NODE_ENV: "production", SLOPGUARD_CONFIG: undefined },
    });
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
    await expect.poll(async () => (await fetch(`${gateway!.url}/readyz`)).status, { timeout: 60_000, interval: 250 }).toBe(200);
    const chat = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "testbed", max_tokens: 4, messages: [{ role: "user", content: "Which package parses YAML?" }] }),
    });
    expect(chat.status, await chat.clone().text()).toBe(200);
    expect(((await chat.json()) as { object: string }).object).toBe("chat.completion");
    expect(await gateway.stop("SIGTERM")).toBe(0);
  }, 240_000);
});

interface InstallResult {
  ok: boolean;
  log: string;
}

/**
 * `npm ci --omit=dev`, as the image's deps stage runs it. When the configured registry
 * (an offline mirror here) lacks optional platform packages the lock lists without a
 * version, npm ci refuses the lock (npm/cli#9846); the test then says so and installs
 * the same production set with `npm install --omit=dev` instead of hiding the problem.
 */
async function productionInstall(dir: string): Promise<InstallResult> {
  const common = ["--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"];
  const env = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" };
  try {
    await run("npm", ["ci", ...common], { cwd: dir, env, maxBuffer: 1 << 26 });
    return { ok: true, log: "npm ci --omit=dev" };
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr ?? error);
    const missing = [...text.matchAll(/Missing: (\S+)@ from lock file/g)].map((m) => m[1]);
    if (!/EUSAGE/.test(text) || missing.length === 0) return { ok: false, log: text };
    console.warn(`npm ci --omit=dev refused the lock: the registry lacks ${missing.join(", ")}; using npm install --omit=dev`);
    await run("npm", ["install", ...common], { cwd: dir, env, maxBuffer: 1 << 26 });
    return { ok: true, log: "npm install --omit=dev" };
  }
}

/** `npm run build` into the temp copy (emits even if another area has a type error; typecheck catches those). */
async function compile(dir: string): Promise<void> {
  const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");
  await run(process.execPath, [tsc, "-p", path.join(repoRoot, "tsconfig.build.json"), "--outDir", path.join(dir, "dist")], {
    cwd: repoRoot,
    maxBuffer: 1 << 26,
  }).catch((error: unknown) => error);
}

/** Replays the final stage's COPY-from-context instructions (WORKDIR /app → the temp dir). */
async function layOut(dir: string): Promise<void> {
  for (const copy of contextCopies.filter((c: Instruction) => c.stage === finalStage)) {
    const dest = copy.args.at(-1)!;
    const sources = copy.args.slice(0, -1);
    for (const source of sources) {
      const target = dest.endsWith("/") ? path.join(dir, dest, path.basename(source)) : path.join(dir, dest);
      if (["package.json", "package-lock.json"].includes(source)) continue;
      await mkdir(path.dirname(target), { recursive: true });
      await cp(path.join(repoRoot, source), target, { recursive: true, filter: (src) => sends(path.relative(repoRoot, src)) });
    }
  }
  await writeFile(path.join(dir, ".image-layout"), "laid out by test/deploy/dockerfile.test.ts\n");
}
