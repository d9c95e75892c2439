/** `aligner watch`: the live view (tui/run-watch.tsx) of the chosen target. */
import type { Command } from "commander";
import { parseSpan } from "../../core/time-spec.ts";
import { runWatch, WatchReadError } from "../../tui/run-watch.tsx";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { addTargetOptions, locateLocalCloud, resolveTarget, type TargetFlags } from "../target.ts";

interface WatchCommandOptions extends TargetFlags {
  since: string;
  follow?: boolean;
  json?: boolean;
}

export function registerWatch(program: Command): void {
  const cmd = program
    .command("watch")
    .description(
      "live view of the jobs: status, durations, memory, cold starts, errors, logs (a plain table when not on a terminal)",
    )
    .option("--since <span>", "how far back the first screen reaches (30m, 1h, 1d)", "1h")
    .option("--follow", "not on a terminal: print one line per change until interrupted")
    .option("--json", "not on a terminal: JSON lines instead of a table");
  addTargetOptions(cmd)
    .addHelpText(
      "after",
      "\nKeys: ↑/↓ (j/k) move, PgUp/PgDn page, Home/End, 0 all · 1 running · 2 succeeded · 3 failed · 4 timed out,\n/ search by request id or input, Enter details and log lines, Esc back, q or Ctrl-C quit.\n\nExamples:\n  aligner watch --local\n  aligner watch --since 6h\n  aligner watch --follow --json | jq .status",
    )
    .action(async (opts: WatchCommandOptions) => {
      const since = parseSpan(opts.since);
      if (since === undefined || since <= 0)
        throw new UsageError(`--since must be a span such as 30m, 1h or 1d, got ${JSON.stringify(opts.since)}`);
      const target = resolveTarget(opts);
      const stop = new AbortController();
      // Ctrl-C: the Ink view handles it itself (raw mode); plain --follow ends here cleanly.
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        await runWatch({
          target,
          sinceMs: since,
          follow: opts.follow === true,
          json: opts.json === true,
          signal: stop.signal,
          // A local cloud restarted on new ports is found again through its endpoints file.
          ...(opts.local ? { locate: locateLocalCloud() } : {}),
        });
      } catch (err) {
        if (err instanceof WatchReadError) throw new CliError(err.message, EXIT.failure);
        throw err;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
