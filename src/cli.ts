#!/usr/bin/env node
/**
 * `slopguard <command>`: every entry point of the project. Each command lives
 * with the feature it drives and registers itself here.
 *
 * Commands are imported lazily: `slopguard check` in a pre-commit hook should not
 * pay for loading LanceDB, transformers.js and the eval harness.
 */
import { Command } from "commander";

type Register = (program: Command) => void;
const commands: Record<string, () => Promise<Register>> = {
  serve: async () => (await import("./cli/serve.js")).registerServe,
  check: async () => (await import("./cli/check.js")).registerCheck,
  mcp: async () => (await import("./cli/mcp.js")).registerMcp,
  eval: async () => (await import("../eval/cli.js")).registerEval,
  "rag-index": async () => (await import("../rag-index/cli.js")).registerRagIndex,
  finetune: async () => (await import("../finetune/cli.js")).registerFinetune,
};

const program = new Command()
  .name("slopguard")
  .description("OpenAI-compatible gateway that catches hallucinated packages in generated code")
  .showHelpAfterError();

const requested = process.argv[2];
const toLoad = requested !== undefined && requested in commands ? [requested] : Object.keys(commands);
for (const name of toLoad) (await commands[name]!())(program);

await program.parseAsync(process.argv);
