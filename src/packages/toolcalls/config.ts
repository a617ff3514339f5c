/**
 * What each agent tool does, so the checker knows which argument holds a shell command,
 * a file's new content or a patch. Per-model `tools:` config is merged over the shipped
 * defaults (a name given there replaces the default spec of that name); any tool with no
 * spec has every string argument scanned as text.
 *
 * An argument path is a key (`command`) or a dotted path (`input.patch`); a list gives
 * alternatives, the first one present wins (Codex's apply_patch sends `input` or `patch`).
 */
import { z } from "zod";

const Arg = z.string().min(1).max(200);
const ArgPath = z.union([Arg, z.array(Arg).min(1).max(8)]).transform((v) => (Array.isArray(v) ? v : [v]));
const arg = (...names: string[]) => ArgPath.default(names);

export const ToolSpecSchema = z.discriminatedUnion("kind", [
  /** A shell command: a string, or an argv array (`["bash","-lc","pip install x"]`). */
  z.strictObject({ kind: z.literal("shell"), command: arg("command", "cmd") }),
  /** A whole-file write (Cursor's `edit_file` too: its `code_edit` is the new text, the old one is elided). */
  z.strictObject({ kind: z.literal("write"), path: arg("file_path", "path"), content: arg("content") }),
  /** A str_replace edit: only names in the new text that are not in the old text are reported. */
  z.strictObject({ kind: z.literal("edit"), path: arg("file_path", "path"), old: arg("old_string", "old_str"), new: arg("new_string", "new_str") }),
  /** A list of edits to one file; `old` and `new` are keys inside each item. */
  z.strictObject({
    kind: z.literal("multi-edit"), path: arg("file_path", "path"), edits: arg("edits"),
    old: Arg.default("old_string"), new: Arg.default("new_string"),
  }),
  /** Codex `*** Begin Patch` or a unified diff; input that is not a JSON object is the patch itself (custom tools). */
  z.strictObject({ kind: z.literal("patch"), patch: arg("input", "patch") }),
  /** Cline's SEARCH/REPLACE blocks. */
  z.strictObject({ kind: z.literal("search-replace"), path: arg("path", "file_path"), diff: arg("diff") }),
  /** An editor with a `command` argument: `create` writes a file, `str_replace` and `insert` edit one (OpenHands, Anthropic). */
  z.strictObject({
    kind: z.literal("editor"), command: arg("command"), path: arg("path"), content: arg("file_text"),
    old: arg("old_str"), new: arg("new_str"),
  }),
  /** Scan these arguments (all string arguments when left out) as text, like an answer. */
  z.strictObject({ kind: z.literal("text"), args: z.array(Arg).max(32).optional() }),
  /** Never scanned (read-only tools). */
  z.strictObject({ kind: z.literal("ignore") }),
]);
export type ToolSpec = z.output<typeof ToolSpecSchema>;

export const ToolSpecsSchema = z.record(z.string().min(1).max(200), ToolSpecSchema);
export type ToolSpecs = z.output<typeof ToolSpecsSchema>;
export type ToolSpecsInput = z.input<typeof ToolSpecsSchema>;

const shell = { kind: "shell" } as const;
const write = (path: string, content: string) => ({ kind: "write", path, content }) as const;
const edit = { kind: "edit" } as const;
const editor = { kind: "editor" } as const;
const ignore = { kind: "ignore" } as const;

/** Argument names as the agents declare them (read from their tool schemas; see docs/PACKAGES.md). */
const DEFAULTS: ToolSpecsInput = {
  // Claude Code
  Bash: shell, Write: write("file_path", "content"), Edit: edit, MultiEdit: { kind: "multi-edit" },
  NotebookEdit: write("notebook_path", "new_source"),
  Read: ignore, Grep: ignore, Glob: ignore, LS: ignore, WebFetch: ignore, WebSearch: ignore, TodoWrite: ignore,
  // Codex CLI: `shell` takes an argv array; `shell_command` / `exec_command` a string.
  shell, shell_command: shell, exec_command: { kind: "shell", command: "cmd" }, apply_patch: { kind: "patch" }, update_plan: ignore,
  // Qwen Code (and Gemini CLI, whose edit tool is `replace`)
  run_shell_command: shell, write_file: write("file_path", "content"), edit, replace: edit,
  read_file: ignore, read_many_files: ignore, list_directory: ignore, glob: ignore, search_file_content: ignore,
  grep_search: ignore, web_fetch: ignore, todo_write: ignore, save_memory: ignore,
  // Cline (attempt_completion's optional `command` is run to show a demo)
  execute_command: shell, write_to_file: write("path", "content"), replace_in_file: { kind: "search-replace" },
  attempt_completion: shell, list_files: ignore, search_files: ignore, list_code_definition_names: ignore,
  // OpenHands, and Anthropic's own bash / text-editor tools
  execute_bash: shell, str_replace_editor: editor, bash: shell, str_replace_based_edit_tool: editor,
  // Cursor
  run_terminal_cmd: shell, edit_file: write("target_file", "code_edit"),
  codebase_search: ignore, file_search: ignore, list_dir: ignore, web_search: ignore,
};

export const DEFAULT_TOOL_SPECS: ToolSpecs = ToolSpecsSchema.parse(DEFAULTS);

/** Defaults with per-model overrides on top; a name with no spec at all is scanned as text. */
export function resolveToolSpecs(overrides?: ToolSpecsInput): ToolSpecs {
  return overrides ? { ...DEFAULT_TOOL_SPECS, ...ToolSpecsSchema.parse(overrides) } : DEFAULT_TOOL_SPECS;
}

/** The spec of a tool: exact name first, then case-insensitively (clients rename `Bash` to `bash`). */
export function specOf(specs: ToolSpecs, name: string): ToolSpec | undefined {
  if (Object.hasOwn(specs, name)) return specs[name];
  const lower = name.toLowerCase();
  const key = Object.keys(specs).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : specs[key];
}
