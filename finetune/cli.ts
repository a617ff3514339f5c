// Placeholder written with the skeleton; the owner of this command replaces it.
import type { Command } from "commander";

export function registerFinetune(program: Command): void {
  program
    .command("finetune")
    .description("Build fine-tuning data and register adapters")
    .action(() => {
      throw new Error("`slopguard finetune` is not implemented yet");
    });
}
