/** `aligner dev`: the embedded local cloud. Placeholder until the local-cloud issue lands. */
import type { Command } from "commander";
import { CliError } from "../errors.ts";

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run the whole pipeline on this machine (embedded local cloud)")
    .option("--demo", "upload the demo inputs and open the live view")
    .action(() => {
      throw new CliError("the embedded local cloud is not yet available in this version");
    });
}
