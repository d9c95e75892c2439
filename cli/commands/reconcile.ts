/**
 * `aligner reconcile --since 6h`: rebuilds job records from the aligner's log group itself
 * (FilterLogEvents), through the log processor's own parse → reduce → write path
 * (core/status/reconcile.ts). What the table already knows changes nothing, so it is safe to run
 * any number of times, and alongside the live pipeline.
 */
import type { Command } from "commander";
import { resolveConfig } from "../../core/config.ts";
import { parseTimeRange } from "../../core/time-spec.ts";
import { requireResource } from "../../core/target.ts";
import { clientsFor } from "../../aws/target-clients.ts";
import { DynamoStatusStore } from "../../aws/dynamo/status-store.ts";
import { reconcile } from "../../core/status/reconcile.ts";
import { filterLogEvents } from "../../aws/logs/filter-log-events.ts";
import { withAws } from "../aws-call.ts";
import { addTargetOptions, announceTarget, resolveTarget, type TargetFlags } from "../target.ts";

interface ReconcileOptions extends TargetFlags {
  since: string;
  until?: string;
  json?: boolean;
}

export function registerReconcile(program: Command): void {
  const cmd = program
    .command("reconcile")
    .description(
      "rebuild job records from the aligner's log group (what lost log deliveries left out); safe to run again",
    )
    .requiredOption("--since <when>", "read log events from here: a span back from now (30m, 6h, 2d) or an ISO time")
    .option("--until <when>", "up to here (default: now)")
    .option("--json", "the report as one JSON object");
  addTargetOptions(cmd)
    .addHelpText(
      "after",
      "\nExamples:\n  aligner reconcile --since 6h\n  aligner reconcile --since 2026-11-24T00:00:00Z --until 2026-11-24T12:00:00Z --json",
    )
    .action(async (opts: ReconcileOptions) => {
      const { sinceMs, untilMs } = parseTimeRange(opts.since, opts.until, Date.now());
      const target = resolveTarget(opts);
      const table = requireResource(target, "jobsTable");
      const logGroup = requireResource(target, "alignerLogGroup");
      announceTarget(target);
      const config = resolveConfig({ env: process.env });
      const clients = clientsFor(target);
      const progress = process.stderr.isTTY === true;
      try {
        const report = await withAws(target, `reconciling ${logGroup} into ${table}`, () =>
          reconcile(
            filterLogEvents(clients.logs(), { logGroup, startTime: sinceMs, endTime: untilMs }),
            new DynamoStatusStore(clients.dynamo(), table),
            {
              logGroup,
              recordTtlDays: config.recordTtlDays,
              writeConcurrency: config.processor.writeConcurrency,
              onProgress: (p) => {
                if (!progress) return;
                const line =
                  p.phase === "reading"
                    ? `reading: ${p.events} events in ${p.streams} streams`
                    : `applying: ${p.streamsDone} of ${p.streams} streams`;
                process.stderr.write(`\r\u001b[K${line}`);
              },
            },
          ),
        );
        if (progress) process.stderr.write("\r\u001b[K");
        const range = { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString() };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...range, ...report })}\n`);
          return;
        }
        process.stdout.write(
          `${[
            `read ${report.events} event${report.events === 1 ? "" : "s"} in ${report.streams} stream${report.streams === 1 ? "" : "s"} of ${logGroup} from ${range.since} to ${range.until}`,
            `${report.requests} request${report.requests === 1 ? "" : "s"}: ${report.recordsChanged} record${report.recordsChanged === 1 ? "" : "s"} written with what the table lacked, ${report.recordsUnchanged} already complete`,
          ].join("\n")}\n`,
        );
      } finally {
        clients.destroy();
      }
    });
}
