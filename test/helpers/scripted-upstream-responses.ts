/**
 * OpenAI Responses API wire encoding of a scripted answer (`POST /v1/responses`).
 *
 * JSON: a `response` object whose `output` holds a `message` item (one
 * `output_text` part) and `function_call` items (`call_id`, `name`, `arguments`),
 * or `custom_tool_call` items (`input`) for freeform tools such as Codex's
 * `apply_patch`.
 *
 * Stream: typed events, each with `event:` set to its `type` and a
 * `sequence_number`, in the order the API sends them: `response.created`,
 * `response.in_progress`, then per item `response.output_item.added`, for a
 * message `response.content_part.added`, `response.output_text.delta`...,
 * `response.output_text.done`, `response.content_part.done`; for a function
 * call `response.function_call_arguments.delta`... and `.done` (custom calls:
 * `response.custom_tool_call_input.delta/done`); then `response.output_item.done`,
 * and last `response.completed` with the whole response and its usage.
 */
import {
  answerText,
  argumentsText,
  pieces,
  roughTokens,
  textPieces,
  type EncodeContext,
  type Frame,
  type ModelAnswer,
  type StreamPlan,
} from "./scripted-upstream-turn.js";

const PROMPT_TOKENS = 9;

type OutputItem =
  | { type: "message"; id: string; status: string; role: "assistant"; content: Array<{ type: "output_text"; text: string; annotations: []; logprobs: [] }> }
  | { type: "function_call"; id: string; status: string; call_id: string; name: string; arguments: string }
  | { type: "custom_tool_call"; id: string; status: string; call_id: string; name: string; input: string };

function outputItems(answer: ModelAnswer, ctx: EncodeContext): OutputItem[] {
  const items: OutputItem[] = [];
  const text = answerText(answer);
  if (text || !answer.toolCalls?.length) {
    items.push({ type: "message", id: ctx.nextId("msg"), status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [], logprobs: [] }] });
  }
  for (const call of answer.toolCalls ?? []) {
    const callId = call.id ?? ctx.nextId("call");
    items.push(
      call.custom
        ? { type: "custom_tool_call", id: ctx.nextId("ctc"), status: "completed", call_id: callId, name: call.name, input: argumentsText(call) }
        : { type: "function_call", id: ctx.nextId("fc"), status: "completed", call_id: callId, name: call.name, arguments: argumentsText(call) },
    );
  }
  return items;
}

function responseObject(ctx: EncodeContext, id: string, status: "in_progress" | "completed", output: OutputItem[]) {
  const produced = output.map((i) => (i.type === "message" ? i.content[0]!.text : i.type === "function_call" ? i.name + i.arguments : i.name + i.input)).join("");
  const outputTokens = roughTokens(produced);
  return {
    id,
    object: "response",
    created_at: 1_700_000_000,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: ctx.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage:
      status === "completed"
        ? {
            input_tokens: PROMPT_TOKENS,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: PROMPT_TOKENS + outputTokens,
          }
        : null,
    user: null,
    metadata: {},
  };
}

export function responsesJson(answer: ModelAnswer, ctx: EncodeContext): unknown {
  return responseObject(ctx, ctx.nextId("resp"), "completed", outputItems(answer, ctx));
}

/** The item as `response.output_item.added` shows it: in progress, with nothing generated yet. */
function startedItem(item: OutputItem): OutputItem {
  if (item.type === "message") return { ...item, status: "in_progress", content: [] };
  if (item.type === "function_call") return { ...item, status: "in_progress", arguments: "" };
  return { ...item, status: "in_progress", input: "" };
}

function itemFrames(item: OutputItem, outputIndex: number, answer: ModelAnswer, ev: (type: string, fields: object) => Frame): Frame[] {
  const at = { item_id: item.id, output_index: outputIndex };
  const frames = [ev("response.output_item.added", { output_index: outputIndex, item: startedItem(item) })];
  if (item.type === "message") {
    const part = item.content[0]!;
    frames.push(ev("response.content_part.added", { ...at, content_index: 0, part: { ...part, text: "" } }));
    for (const delta of textPieces(answer)) frames.push(ev("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] }));
    frames.push(ev("response.output_text.done", { ...at, content_index: 0, text: part.text, logprobs: [] }));
    frames.push(ev("response.content_part.done", { ...at, content_index: 0, part }));
  } else if (item.type === "function_call") {
    for (const delta of pieces(item.arguments, answer.argChunkSize ?? 8)) frames.push(ev("response.function_call_arguments.delta", { ...at, delta }));
    frames.push(ev("response.function_call_arguments.done", { ...at, name: item.name, arguments: item.arguments }));
  } else {
    for (const delta of pieces(item.input, answer.argChunkSize ?? 8)) frames.push(ev("response.custom_tool_call_input.delta", { ...at, delta }));
    frames.push(ev("response.custom_tool_call_input.done", { ...at, input: item.input }));
  }
  frames.push(ev("response.output_item.done", { output_index: outputIndex, item }));
  return frames;
}

export function responsesStream(answer: ModelAnswer, ctx: EncodeContext): StreamPlan {
  let sequence = 0;
  const ev = (type: string, fields: object): Frame => ({ event: type, data: { type, sequence_number: sequence++, ...fields } });
  const id = ctx.nextId("resp");
  const items = outputItems(answer, ctx);
  const head = [
    ev("response.created", { response: responseObject(ctx, id, "in_progress", []) }),
    ev("response.in_progress", { response: responseObject(ctx, id, "in_progress", []) }),
  ];
  const body = items.flatMap((item, i) => itemFrames(item, i, answer, ev));
  const tail = [ev("response.completed", { response: responseObject(ctx, id, "completed", items) })];
  return { head, body, tail };
}

export function responsesError(message: string): unknown {
  return { error: { message, type: "server_error", param: null, code: null } };
}
