// Placeholder written with the skeleton; the owner of this command replaces it.
import type { Command } from "commander";

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("Check the packages in a file or stdin")
    .action(() => {
      throw new Error("`slopguard check` is not implemented yet");
    });
}
