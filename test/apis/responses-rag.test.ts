/**
 * RAG on the Responses API: the retrieved block goes where the API keeps its system
 * text. With `instructions`, into `instructions` (a Responses upstream) or the first
 * system message (a chat upstream); without them (Codex sends its prompt as developer
 * messages), into the first developer message; with neither, a new `instructions`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TEMPLATES } from "../../src/mitigation/config.js";
import { render } from "../../src/mitigation/templates.js";
import type { RetrievedStatement, Retriever } from "../../src/rag/types.js";
import { startResponsesHarness, type ResponsesHarness } from "./responses-setup.js";

/** A retriever over a fixed statement list (the RAG index is the rag tests' subject). */
const STATEMENTS: RetrievedStatement[] = [
  { statement: "Package httpx could answer questions about a next generation HTTP client.", package: "httpx", ecosystem: "pypi", score: 0.9 },
  { statement: "Package requests could answer questions about Python HTTP for Humans.", package: "requests", ecosystem: "pypi", score: 0.8 },
];
const retriever: Retriever = { ready: () => true, close: async () => undefined, retrieve: async () => STATEMENTS };
const BLOCK = render(DEFAULT_TEMPLATES["rag.block"], { statements: STATEMENTS.map((s) => s.statement).join("\n") });
const TASK = "Generate Python code that downloads a web page";

let h: ResponsesHarness;

beforeAll(async () => {
  h = await startResponsesHarness({ retriever, mitigation: { profiles: { rag: [{ module: "rag", k: 2 }] } } });
  h.up.setModel(() => ({ text: "Use httpx." }));
});
afterAll(() => h?.close());

const sent = () => h.up.requests.at(-1)!.body;

describe("RAG block placement on /v1/responses", () => {
  it("with instructions: appended to them (Responses upstream) or to the system message (chat upstream)", async () => {
    const r = await h.client.responses.create({ model: "resp-up:rag", instructions: "Be brief.", input: TASK });
    expect(sent().instructions).toBe(`Be brief.\n\n${BLOCK}`);
    expect(sent().input).toEqual([{ type: "message", role: "user", content: TASK }]);
    // The client sees its own instructions, not the gateway's addition.
    expect(r.instructions).toBe("Be brief.");
    expect((r as any).slopguard.mitigations.find((m: any) => m.module === "rag").verdict).toBe("modified");
    await h.client.responses.create({ model: "chat-up:rag", instructions: "Be brief.", input: TASK });
    expect(sent().messages[0]).toEqual({ role: "system", content: `Be brief.\n\n${BLOCK}` });
  });

  it("Codex style (developer messages, no instructions): appended to the first developer message, which stays one", async () => {
    const input = [
      { type: "message" as const, role: "developer" as const, content: [{ type: "input_text" as const, text: "You are Codex." }] },
      { type: "message" as const, role: "user" as const, content: [{ type: "input_text" as const, text: TASK }] },
    ];
    await h.client.responses.create({ model: "resp-up:rag", input });
    expect(sent()).not.toHaveProperty("instructions");
    expect(sent().input[0]).toEqual({ type: "message", role: "developer", content: [{ type: "input_text", text: "You are Codex." }, { type: "input_text", text: `\n\n${BLOCK}` }] });
    expect(sent().input[1]).toEqual(input[1]);
  });

  it("no system text at all: the block arrives as new instructions", async () => {
    await h.client.responses.create({ model: "resp-up:rag", input: TASK });
    expect(sent().instructions).toBe(`You are a helpful assistant.\n\n${BLOCK}`);
  });
});
