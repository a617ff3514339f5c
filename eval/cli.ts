// Placeholder written with the skeleton; the owner of this command replaces it.
import type { Command } from "commander";

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("Run an evaluation")
    .action(() => {
      throw new Error("`slopguard eval` is not implemented yet");
    });
}
