#!/usr/bin/env node
/**
 * `slopguard <command>`: every entry point of the project. Each command lives
 * with the feature it drives and registers itself here.
 */
import { Command } from "commander";
import { registerServe } from "./cli/serve.js";
import { registerCheck } from "./cli/check.js";
import { registerEval } from "../eval/cli.js";
import { registerRagIndex } from "../rag-index/cli.js";
import { registerFinetune } from "../finetune/cli.js";

const program = new Command()
  .name("slopguard")
  .description("OpenAI-compatible gateway that catches hallucinated packages in generated code")
  .showHelpAfterError();

registerServe(program);
registerCheck(program);
registerEval(program);
registerRagIndex(program);
registerFinetune(program);

await program.parseAsync(process.argv);
