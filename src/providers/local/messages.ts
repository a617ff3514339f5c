/**
 * A `ModelCall`'s prompt → node-llama-cpp chat history, ending with an empty model
 * turn for the model to fill (as LlamaChatSession does). An assistant's tool call and
 * the tool result that answered it become one function-call item, which is how
 * node-llama-cpp's chat wrappers render function calling; a result without its call
 * (or a model without function calling) becomes a user turn.
 */
import type { ChatHistoryItem, ChatModelResponse } from "node-llama-cpp";
import type { Message, ModelCall, ToolResultPart } from "../../core/parts.js";

export function toChatHistory(call: ModelCall): ChatHistoryItem[] {
  const results = new Map<string, ToolResultPart>();
  for (const m of call.prompt) if (m.role === "tool") for (const r of m.content) results.set(r.callId, r);
  const answered = new Set<string>();
  const history: ChatHistoryItem[] = [];
  for (const m of call.prompt) history.push(...item(m, results, answered));
  history.push({ type: "model", response: [] });
  return history;
}

function item(m: Message, results: Map<string, ToolResultPart>, answered: Set<string>): ChatHistoryItem[] {
  switch (m.role) {
    case "system":
      return [{ type: "system", text: m.content.map((p) => p.text).join("") }];
    case "user":
      return [{ type: "user", text: m.content.map((p) => (p.type === "text" ? p.text : "")).join("") }];
    case "assistant": {
      const response: ChatModelResponse["response"] = [];
      for (const p of m.content) {
        if (p.type === "text") response.push(p.text);
        else if (p.type === "reasoning") response.push({ type: "segment", segmentType: "thought", text: p.text, ended: true });
        else if (p.type === "tool-call") {
          const result = results.get(p.id);
          if (!result) continue; // a call nobody answered cannot be rendered; the model sees its text only
          answered.add(p.id);
          response.push({ type: "functionCall", name: p.name, params: parseInput(p.input), result: result.output });
        }
      }
      return [{ type: "model", response }];
    }
    case "tool":
      return m.content.filter((r) => !answered.has(r.callId)).map((r) => ({ type: "user" as const, text: `Tool result (${r.callId}):\n${r.output}` }));
  }
}

function parseInput(input: string): unknown {
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
