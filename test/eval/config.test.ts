/** Every shipped eval config parses, and datasets load with the advertised sizes. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseDatasetFlag } from "../../eval/cli.js";
import { parseEvalConfig, readEvalConfigFile } from "../../eval/config.js";
import { loadDataset } from "../../eval/datasets.js";
import { parseList } from "../../eval/heuristics.js";
import { buildProgram, extractCode } from "../../eval/humaneval.js";
import { taskFromCodePrompt } from "../../eval/prompts.js";

const dir = join(import.meta.dirname, "..", "..", "eval", "configs");

describe("eval configs and datasets", () => {
  it("parses every config in eval/configs", () => {
    process.env.EVAL_BASE_URL ??= "http://127.0.0.1:9/v1";
    process.env.OPENAI_API_KEY ??= "k";
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));
    expect(files).toContain("testbed-mitigations.yaml");
    for (const f of files) expect(() => parseEvalConfig(readEvalConfigFile(join(dir, f))), f).not.toThrow();
    const tb = parseEvalConfig(readEvalConfigFile(join(dir, "testbed-mitigations.yaml")));
    expect(tb).toMatchObject({ listTemperature: 0.01, topP: 0.9, maxTokens: { code: 2048, list: 64 } });
    expect(() => parseEvalConfig({ models: [] })).toThrow(/target: .*models/s);
    // A target is a URL or an in-process slopguard; with neither the SDK would fall back to OpenAI's API.
    expect(() => parseEvalConfig({ target: {}, models: ["m"], datasets: [{ kind: "paper", language: "python" }] })).toThrow(/target\.baseURL, or target\.serve/);
    expect(parseEvalConfig({ target: { serve: true }, models: ["m"], datasets: [{ kind: "paper", language: "python" }] }).target.serve).toBe(true);
  });

  it("flags win over the file: -n beats per-dataset sizes, --base-url beats serve", () => {
    const file = join(dir, "testbed-full.yaml");
    const asIs = loadConfig({ config: file, progress: false });
    expect(asIs.target.serve).toBe(true);
    expect(asIs.datasets.map((d) => d.sample)).toEqual([200, 200, 100, 200, 200, 100]);
    const quick = loadConfig({ config: file, sample: "3", baseUrl: "http://127.0.0.1:9/v1", progress: false });
    expect(quick.sample).toBe(3);
    expect(quick.datasets.every((d) => d.sample === undefined)).toBe(true);
    expect(quick.target).toMatchObject({ serve: false, baseURL: "http://127.0.0.1:9/v1" });
  });

  it("loads the paper, testbed and HumanEval sets", () => {
    const py = loadDataset({ kind: "paper", language: "python" }, { seed: 1 });
    const js = loadDataset({ kind: "paper", language: "javascript" }, { seed: 1 });
    expect(py.length).toBeGreaterThan(4800); // the malformed first line is skipped
    expect(js.length).toBeGreaterThan(4900);
    const tb = loadDataset({ kind: "testbed", set: "heldout_npm" }, { seed: 1, sample: 5 });
    expect(tb).toHaveLength(5);
    expect(tb[0]).toMatchObject({ kind: "package", language: "javascript" });
    expect((tb[0] as { expected?: string }).expected).toBeTruthy();
    expect(loadDataset({ kind: "humaneval", language: "javascript" }, { seed: 1 })).toHaveLength(163);
    expect(parseDatasetFlag("testbed:seen_pypi")).toEqual({ kind: "testbed", set: "seen_pypi" });
    expect(parseDatasetFlag("x/y.jsonl")).toEqual({ kind: "jsonl", path: "x/y.jsonl" });
  });

  it("parses package lists and task sentences", () => {
    expect(parseList("1. `requests`\n2. numpy>=1.2\n- pip install flask, @types/node@20, this is a sentence about things")).toEqual(["requests", "numpy", "flask", "@types/node"]);
    expect(taskFromCodePrompt("Generate Python code that parses CSV files")).toBe("Parses CSV files.");
  });

  it("extracts code: fenced in the right language, else the first fence, else bare", () => {
    expect(extractCode("text\n```bash\npip x\n```\n```python\nreturn 1\n```", "python")).toBe("return 1\n");
    expect(extractCode("    return 1\n", "python")).toBe("    return 1\n");
    const task = { task_id: "t", prompt: "def f(x):\n    \"\"\"doc\"\"\"\n", canonical_solution: "", test: "def check(c):\n    assert c(1) == 2\n", entry_point: "f", language: "python" as const };
    expect(buildProgram(task, "    return x + 1\n")).toBe(`${task.prompt}    return x + 1\n\n${task.test}\ncheck(f)\n`);
    expect(buildProgram(task, "```python\ndef f(x):\n    return x + 1\n```")).toContain(`${task.prompt}\ndef f(x):`);
  });
});
