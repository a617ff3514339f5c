/**
 * Issue 12's bar, through the real gateway: every call of the labelled tool-call corpus
 * (test/fixtures/toolcalls/, 300+ calls in the agents' shapes) answered by a scripted
 * model under `strict`, JSON and stream. No call that installs a made-up package is
 * delivered; every benign call is, unchanged.
 */
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_CALL_CORPUS, type LabelledCall } from "../fixtures/toolcalls/index.js";
import { startHarness, type Harness } from "./setup.js";

const all = Object.values(TOOL_CALL_CORPUS).flat();
const madeUp = (c: LabelledCall) => c.expect.some((e) => e.startsWith("!"));
const byId = new Map(all.map((c) => [c.id, c]));

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.up.setModel((turn) => {
    const c = byId.get(turn.lastUserText)!;
    return { toolCalls: [{ id: `call_${c.id}`, name: c.tool, input: null, arguments: c.input }], argChunkSize: 7 };
  });
});
afterAll(() => h.close());

async function delivered(c: LabelledCall, stream: boolean): Promise<{ args: string[]; finish: string | null }> {
  const params = { model: "up:strict", messages: [{ role: "user" as const, content: c.id }] };
  if (!stream) {
    const r = await h.client.chat.completions.create(params);
    const calls = (r.choices[0]!.message.tool_calls ?? []) as OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
    return { args: calls.map((x) => x.function.arguments), finish: r.choices[0]!.finish_reason };
  }
  const args = new Map<number, string>();
  let finish: string | null = null;
  for await (const chunk of await h.client.chat.completions.create({ ...params, stream: true })) {
    for (const d of chunk.choices[0]?.delta.tool_calls ?? []) args.set(d.index, (args.get(d.index) ?? "") + (d.function?.arguments ?? ""));
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { args: [...args.values()], finish };
}

describe("the tool-call corpus under strict", () => {
  for (const stream of [false, true]) {
    it(`delivers no made-up install and blocks no benign call (${all.length} calls, ${stream ? "stream" : "JSON"})`, async () => {
      const leaked: string[] = [];
      const blocked: string[] = [];
      for (const c of all) {
        const out = await delivered(c, stream);
        if (madeUp(c) && out.args.length > 0) leaked.push(c.id);
        if (!madeUp(c) && (out.args.length !== 1 || out.args[0] !== c.input || out.finish !== "tool_calls")) blocked.push(c.id);
      }
      expect(all.filter(madeUp).length).toBeGreaterThan(150);
      expect(all.filter((c) => !madeUp(c)).length).toBeGreaterThanOrEqual(100);
      expect({ leaked, blocked }).toEqual({ leaked: [], blocked: [] });
    });
  }
});
