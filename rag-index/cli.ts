// Placeholder written with the skeleton; the owner of this command replaces it.
import type { Command } from "commander";

export function registerRagIndex(program: Command): void {
  program
    .command("rag-index")
    .description("Build or query the RAG index")
    .action(() => {
      throw new Error("`slopguard rag-index` is not implemented yet");
    });
}
