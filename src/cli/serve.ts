// Placeholder written with the skeleton; the owner of this command replaces it.
import type { Command } from "commander";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("Start the gateway")
    .action(() => {
      throw new Error("`slopguard serve` is not implemented yet");
    });
}
