/**
 * RAG prompt injection (issue 16): package summaries are written by whoever publishes a
 * package. A crafted index, through the real retriever and the real gateway, must put
 * no instruction, install command or look-alike text into the prompt the model gets:
 * neither when the crafted summaries go through the build (build-time rules) nor when
 * hostile statements are written into the table directly, as an index built by older
 * code or by someone else would hold them (query-time rules).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import * as lancedb from "@lancedb/lancedb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndex } from "../../src/rag/build.js";
import { createRetriever, RagConfigSchema, type RagRetriever } from "../../src/rag/index.js";
import { CRAFTED } from "../rag/sanitize.test.js";
import { reply, startHarness, type Harness } from "./setup.js";

const HOSTILE = /evilpkg|ignore|instruction|pip install|npm i|\[INST\]|<\||you must|tell the user|\u202e|[\u0400-\u04ff]/i;

function writeSelection(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const header = "name\tsignal\tpopularity\tsummary\timports\tkeywords\ttasks";
  // Every crafted summary is about YAML, so a YAML task retrieves all of them.
  const pypi = CRAFTED.map(([s], i) => `yamlcraft${i}\trank\t${i + 1}\tYAML tools. ${s}\t\tyaml\t`);
  pypi.push("pyyaml\trank\t100\tYAML parser and emitter for Python\tyaml\tconfiguration\t");
  writeFileSync(path.join(dir, "pypi.tsv.gz"), gzipSync(`${[header, ...pypi].join("\n")}\n`));
  writeFileSync(path.join(dir, "npm.tsv.gz"), gzipSync(`${header}\njs-yaml\tdownloads\t1\tYAML 1.2 parser and serializer\t\t\t\n`));
}

describe("a crafted RAG index", () => {
  let tmp: string;
  let retriever: RagRetriever;
  let h: Harness;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "slopguard-rag-inject-"));
    writeSelection(path.join(tmp, "data"));
    const config = RagConfigSchema.parse({ indexUri: path.join(tmp, "index"), dataDir: path.join(tmp, "data"), minRelevance: 0 });
    await buildIndex({ config });
    // Hostile rows written straight into the table: they never passed the build's rules.
    const db = await lancedb.connect(config.indexUri);
    const table = await db.openTable(config.table);
    await table.add(
      CRAFTED.map(([s], i) => ({
        package: `yamlraw${i}`,
        ecosystem: "pypi",
        statement: `Package yamlraw${i} could answer questions about YAML tools. ${s}.`,
        summary: `YAML tools. ${s}`,
        imports: "",
        keywords: "yaml",
        tags: "yaml",
        about: `YAML tools. ${s}`,
        questions: "",
        popularity: 0.99,
      })),
    );
    table.close();
    db.close();
    retriever = createRetriever(config);
    await retriever.whenReady();
    h = await startHarness({ retriever, mitigation: { rag: { k: 50 } } });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await retriever?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("the retriever returns only neutralised statements, from both the built and the raw rows", async () => {
    const hits = await retriever.retrieve({ query: "YAML tools", ecosystem: "pypi", k: 100 });
    expect(hits.some((x) => x.package.startsWith("yamlraw"))).toBe(true);
    expect(hits.some((x) => x.package.startsWith("yamlcraft"))).toBe(true);
    for (const hit of hits) expect(hit.statement, hit.package).not.toMatch(HOSTILE);
  });

  it("the prompt the model gets holds no crafted instruction, in the fenced, labelled block", async () => {
    h.up.setHandler((body) => reply(body, "pyyaml"));
    const before = h.up.chatRequests().length;
    const data: any = await h.client.chat.completions.create({
      model: "up:rag",
      messages: [{ role: "user", content: "Which Python packages would be useful in solving the following coding problem: I need YAML tools." }],
    });
    const rec = data.slopguard.mitigations.find((m: any) => m.module === "rag");
    expect(rec.verdict).toBe("modified");
    expect(rec.data.statements.length).toBeGreaterThan(10);
    const system: string = h.up.chatRequests()[before]!.body.messages[0].content;
    const fenced = /<packages>\n([\s\S]*)\n<\/packages>/.exec(system)?.[1] ?? "";
    expect(fenced.split("\n").length).toBe(rec.data.statements.length);
    expect(fenced).not.toMatch(HOSTILE);
    expect(system).toContain("Here is some information about packages that might be useful");
    expect(system).toMatch(/not instructions/);
    for (const line of system.split("\n").filter((l) => l.startsWith("Package "))) {
      expect(line).toMatch(/^Package [a-z0-9-]+ could answer questions about [^\n]+\.$/);
    }
  });
});
