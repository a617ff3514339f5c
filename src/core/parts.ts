/**
 * The provider-neutral core: what a model call and its answer are, whatever API
 * the client spoke and whatever API the upstream speaks. Codecs (src/codecs/)
 * translate each wire format into these parts and back; providers take a
 * `ModelCall` and produce a `Generation` or a stream of `StreamPart`s; mitigations
 * see only these types. Modelled on the AI SDK's language-model content parts and
 * stream parts.
 */

/** The wire APIs slopguard speaks, inbound (routes) and outbound (providers). */
export type WireApi = "chat" | "responses" | "messages" | "completions";

/**
 * A part or message in the form it arrived in. An upstream that speaks the same API
 * gets it back unchanged (cache control, signatures, fields we do not model); an
 * upstream that speaks another API gets the translation of the typed fields.
 */
export interface Native {
  api: WireApi;
  raw: Record<string, unknown>;
}

export interface TextPart {
  type: "text";
  text: string;
  native?: Native;
}

/** Model reasoning ("thinking"); `native` keeps signatures and encrypted content for the same API. */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
  native?: Native;
}

/**
 * A tool call as the model wrote it. `input` is the raw argument text: JSON for function
 * tools (possibly malformed: models do that), free text for custom tools (Codex's
 * `apply_patch` grammar). Inspectors parse it; nothing here assumes it parses.
 */
export interface ToolCallPart {
  type: "tool-call";
  id: string;
  name: string;
  input: string;
  kind: ToolKind;
  native?: Native;
}

export type ToolKind = "function" | "custom";

export interface ToolResultPart {
  type: "tool-result";
  callId: string;
  /** Text of the result (content blocks other than text are kept in `native`). */
  output: string;
  isError?: boolean;
  native?: Native;
}

/** Content the core does not model (images, files, audio): forwarded only to an upstream of the same API. */
export interface OpaquePart {
  type: "opaque";
  native: Native;
}

export type SystemMessage = { role: "system"; content: TextPart[]; native?: Native };
export type UserMessage = { role: "user"; content: Array<TextPart | OpaquePart>; native?: Native };
export type AssistantMessage = { role: "assistant"; content: AnswerPart[]; native?: Native };
export type ToolMessage = { role: "tool"; content: ToolResultPart[]; native?: Native };
export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

/** What a model can answer with. */
export type AnswerPart = TextPart | ReasoningPart | ToolCallPart | OpaquePart;

export interface ToolDefinition {
  name: string;
  /** `provider`: a vendor's built-in tool (web search, …), sent only to an upstream of the same API. */
  kind: ToolKind | "provider";
  description?: string;
  /** JSON Schema of a function tool's arguments. */
  inputSchema?: Record<string, unknown>;
  native?: Native;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

/**
 * What the `constrain` mitigation asks of a provider that owns the decoding loop: plain,
 * serialisable data. The provider resolves the name lists from its package snapshot (once
 * per model and list choice) and returns what it did in the answer's `metadata.constrain`.
 */
export interface ConstrainRequest {
  /** Which names are real: the whole snapshot or its popular part, per ecosystem. */
  names: { pypi: "all" | { top: number }; npm: "all" | { minDownloads: number } };
  /** Private names that always pass: exact, or a prefix with one trailing `*`. */
  allowlist: { pypi: string[]; npm: string[] };
  /** Where names are held: install commands, imports, package-list answers, manifest lines. */
  contexts: { install: boolean; import: boolean; list: boolean; manifest: boolean };
  /** `conda install` names: held to PyPI's, or left open. */
  conda: "pypi" | "open";
  /** The request's ecosystem when known: decides `import x` in code of unknown language, and list answers. */
  ecosystem?: "pypi" | "npm";
  /** The prompt asks for a bare list of packages: the whole answer is one. */
  list: boolean;
  /**
   * The answer goes on in a code file of this language (a text completion of an editor's
   * file), not a Markdown chat answer: imports are read without a code fence around them.
   */
  document?: "python" | "javascript" | "requirements" | "package_json";
}

/** One call to a model, as every provider receives it. */
export interface ModelCall {
  prompt: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /**
   * A plain text completion (`/v1/completions`): the prompt text and, for fill-in-the-middle,
   * the text after the cursor. `prompt` then holds the same request as one user turn, for
   * upstreams that only chat.
   */
  completion?: {
    prompt: string;
    suffix?: string;
    /** The file's language, when the request shows it ("python", "javascript", "requirements", "package_json"): verify reads the answer as code of it. */
    language?: string;
    /** Where the file's own text starts in `prompt` (after its path comment; editors put other context above). */
    fileStart?: number;
  };
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  /** LoRA adapter of a local model (chosen by the adapter mitigation); remote providers ignore it. */
  adapter?: string;
  /** Set by the constrain mitigation; a provider that cannot constrain refuses the call. */
  constrain?: ConstrainRequest;
  /** Request fields the core does not model, passed on only to an upstream of the same API. */
  native?: {
    api: WireApi;
    extra: Record<string, unknown>;
    /** Request headers that belong to the API (Anthropic's `anthropic-beta`), for an upstream of the same API. */
    headers?: Record<string, string>;
  };
}

export type FinishReason = "stop" | "length" | "tool-calls" | "content-filter" | "error" | "other";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
}

export interface ResponseInfo {
  id?: string;
  model?: string;
  /** Unix seconds. */
  created?: number;
}

/** A finished answer. */
export interface Generation {
  content: AnswerPart[];
  finishReason: FinishReason;
  usage?: Usage;
  response: ResponseInfo;
  /** The upstream's own body, when its API is known: an inbound codec of the same API keeps its unknown fields. */
  native?: Native;
  /**
   * What the provider did beyond the answer, keyed by feature (the AI SDK's providerMetadata):
   * `constrain` holds the constrained-decoding report. Mitigations read it; codecs do not send it.
   */
  metadata?: Record<string, unknown>;
}

/** A streamed answer, part by part. Every start has its end, and `finish` comes last. */
export type StreamPart =
  | { type: "response-info"; info: ResponseInfo }
  | { type: "text-start"; id: string }
  | { type: "text-delta"; id: string; delta: string }
  | { type: "text-end"; id: string }
  | { type: "reasoning-start"; id: string }
  | { type: "reasoning-delta"; id: string; delta: string }
  | { type: "reasoning-end"; id: string; native?: Native }
  | { type: "tool-call-start"; id: string; name: string; kind: ToolKind }
  | { type: "tool-call-delta"; id: string; delta: string }
  | { type: "tool-call-end"; id: string }
  | { type: "finish"; finishReason: FinishReason; usage?: Usage; metadata?: Record<string, unknown> };
