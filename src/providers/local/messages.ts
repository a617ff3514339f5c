import type { ChatHistoryItem } from "node-llama-cpp";
import { messageText, type ChatMessage } from "../../api/schema.js";

/**
 * OpenAI messages → node-llama-cpp chat history, ending with an empty model turn
 * for the model to fill (as LlamaChatSession does). Tool results become user turns
 * because small GGUF chat templates rarely have a tool role.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  for (const m of messages) {
    const text = messageText(m.content);
    switch (m.role) {
      case "system":
      case "developer":
        history.push({ type: "system", text });
        break;
      case "user":
        history.push({ type: "user", text });
        break;
      case "assistant":
        history.push({ type: "model", response: [text] });
        break;
      case "tool":
        history.push({ type: "user", text: `Tool result (${m.tool_call_id}):\n${text}` });
        break;
    }
  }
  history.push({ type: "model", response: [] });
  return history;
}
