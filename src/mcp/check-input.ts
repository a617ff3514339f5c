/**
 * The `check_packages` arguments and how they become the checker's CheckInput.
 * An agent hands over whatever it is about to run or write: a shell command, a
 * manifest with its file name, source code, an answer in markdown, or bare names.
 * Commands and manifests are wrapped in a fence whose info word tells the extractor
 * how to read them (`requirements`, `package.json`…), so one extractor serves all.
 */
import path from "node:path";
import { z } from "zod";
import type { CheckInput } from "../packages/types.js";

/** The gateway's `/v1/packages/check` takes the same bound (512 KiB of text). */
const MAX_TEXT = 512 * 1024;
const SOURCES = ["packages", "command", "manifest", "code", "text"] as const;

export const CheckPackagesInputSchema = z
  .object({
    packages: z
      .array(z.string().min(1).max(300))
      .min(1)
      .max(1000)
      .optional()
      .describe("Package names (version specifiers allowed, e.g. 'requests>=2'). Set `ecosystem` for npm names; PyPI is assumed otherwise."),
    command: z
      .string()
      .min(1)
      .max(MAX_TEXT)
      .optional()
      .describe("A shell command you are about to run, e.g. 'pip install fastapi uvicorn' or 'npm i -D vitest'. pip, python -m pip, uv, poetry, pdm, pipenv, pipx, conda/mamba, npm, yarn, pnpm, bun and npx are understood."),
    manifest: z
      .string()
      .min(1)
      .max(MAX_TEXT)
      .optional()
      .describe("The contents of a dependency file (requirements.txt, package.json, pyproject.toml, setup.py). Give its name in `filename`."),
    code: z
      .string()
      .min(1)
      .max(MAX_TEXT)
      .optional()
      .describe("Source code whose imports/requires should resolve to installable packages (Python or JavaScript/TypeScript). Set `language` or `filename`."),
    text: z
      .string()
      .min(1)
      .max(MAX_TEXT)
      .optional()
      .describe("Markdown or prose such as an LLM answer: fenced code blocks, install commands and package lists in it are all checked."),
    filename: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe("File name of `manifest` or `code` (e.g. 'requirements-dev.txt', 'package.json', 'app.py'); decides how it is read."),
    ecosystem: z.enum(["pypi", "npm"]).optional().describe("Registry for bare names and ambiguous code: 'pypi' (default) or 'npm'."),
    language: z.enum(["python", "javascript", "typescript"]).optional().describe("Language of `code` when no `filename` says it."),
  })
  .superRefine((args, ctx) => {
    const given = SOURCES.filter((k) => args[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: given.length ? [given[1]!] : ["packages"],
        message: `give exactly one of ${SOURCES.join(", ")} (got ${given.length ? given.join(" and ") : "none"}); call the tool once per input`,
      });
    }
    if (args.filename !== undefined && args.manifest === undefined && args.code === undefined) {
      ctx.addIssue({ code: "custom", path: ["filename"], message: "filename names a `manifest` or `code`; give one of them too" });
    }
    if (args.manifest !== undefined && args.filename !== undefined && manifestInfo(args.filename) === undefined && languageOf(args.filename) === undefined) {
      ctx.addIssue({ code: "custom", path: ["filename"], message: `unsupported manifest '${args.filename}'; supported: ${SUPPORTED_MANIFESTS}` });
    }
  });
export type CheckPackagesInput = z.infer<typeof CheckPackagesInputSchema>;

const SUPPORTED_MANIFESTS = "requirements*.txt / *.in, constraints*.txt, package.json, pyproject.toml, setup.py";

/** Fence info word the extractor reads a manifest by (see packages/extract/markdown.ts). */
function manifestInfo(filename: string): string | undefined {
  const base = path.basename(filename).toLowerCase();
  if (/^(requirements|constraints)[\w.-]*\.(txt|in)$/.test(base) || /^requirements\/.+\.(txt|in)$/.test(filename.toLowerCase())) return "requirements";
  if (base === "package.json") return "package.json";
  if (base === "pyproject.toml") return "pyproject.toml";
  if (base === "setup.py") return "python";
  return undefined;
}

function languageOf(filename: string): "python" | "javascript" | "typescript" | undefined {
  const ext = path.extname(filename).toLowerCase();
  if (ext === ".py" || ext === ".pyi") return "python";
  if ([".js", ".mjs", ".cjs", ".jsx"].includes(ext)) return "javascript";
  if ([".ts", ".mts", ".cts", ".tsx"].includes(ext)) return "typescript";
  return undefined;
}

/** A fence longer than any backtick run inside, so the body cannot close it early. */
function fenced(info: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

export interface MappedInput {
  input: CheckInput;
  /** Lines the wrapping fence added before the body: subtracted from reported lines. */
  lineOffset: number;
  /** Which argument was checked, for the text summary. */
  source: (typeof SOURCES)[number];
}

export function toCheckInput(args: CheckPackagesInput): MappedInput {
  const eco = args.ecosystem ? { ecosystem: args.ecosystem } : {};
  if (args.packages) return { input: { packages: args.packages, ...eco }, lineOffset: 0, source: "packages" };
  if (args.command !== undefined) return { input: { text: fenced("sh", args.command), ...eco }, lineOffset: 1, source: "command" };
  const named = args.filename !== undefined ? manifestInfo(args.filename) : undefined;
  const body = args.manifest ?? args.code;
  if (body !== undefined && (named !== undefined || (args.manifest !== undefined && args.filename === undefined))) {
    // An unnamed manifest gets an empty info word: the extractor then recognises it by content.
    return { input: { text: fenced(named ?? "", body), ...eco }, lineOffset: 1, source: args.manifest !== undefined ? "manifest" : "code" };
  }
  if (body !== undefined) {
    const language = args.language ?? (args.filename !== undefined ? languageOf(args.filename) : undefined);
    return { input: { code: body, ...(language ? { language } : {}), ...eco }, lineOffset: 0, source: args.manifest !== undefined ? "manifest" : "code" };
  }
  return { input: { text: args.text!, ...eco }, lineOffset: 0, source: "text" };
}
