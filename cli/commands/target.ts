/** `aligner target`: which deployment the other commands would use, each resource and where its name came from. */
import type { Command } from "commander";
import { describeTarget, RESOURCE_LABELS, type ResourceKey } from "../../core/target.ts";
import { formatTable } from "../../tui/terminal-text.ts";
import { addTargetOptions, resolveTarget, type TargetFlags } from "../target.ts";

export function registerTarget(program: Command): void {
  const cmd = program
    .command("target")
    .description(
      "show the target (AWS or the local cloud) and the resource names the other commands use, and what is missing",
    )
    .option("--json", "the target as JSON");
  addTargetOptions(cmd).action((opts: TargetFlags & { json?: boolean }) => {
    const target = resolveTarget(opts);
    const missing = (Object.keys(RESOURCE_LABELS) as ResourceKey[]).filter((k) => !target.resources[k]);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ...target, missing }, null, 2)}\n`);
      return;
    }
    const d = describeTarget(target);
    process.stdout.write(
      `${target.source}\n\n${formatTable(
        ["RESOURCE", "NAME", "FROM"],
        d.rows.map((r) => [r.resource, r.name, r.from]),
      )}\n`,
    );
    if (missing.length) {
      process.stdout.write(
        `\nmissing: ${missing.map((k) => RESOURCE_LABELS[k]).join(", ")} — commands that need them will say so\n`,
      );
    }
  });
}
