/** `aligner config`: the resolved settings and where each can be changed. */
import type { Command } from "commander";
import { describeConfig, resolveConfig } from "../../core/config.ts";
import { formatTable } from "../../tui/terminal-text.ts";

export function registerConfig(program: Command): void {
  program
    .command("config")
    .description("show the resolved configuration and the environment variable behind each setting")
    .option("--json", "print the configuration as JSON")
    .action((opts: { json?: boolean }) => {
      const config = resolveConfig({ env: process.env });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
        return;
      }
      const rows = describeConfig(config).map((r) => [
        r.key,
        JSON.stringify(r.value) ?? "(unset)",
        r.env,
        r.description,
      ]);
      process.stdout.write(`${formatTable(["SETTING", "VALUE", "ENVIRONMENT", "MEANING"], rows)}\n`);
    });
}
