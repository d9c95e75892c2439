/**
 * `aligner logs REQUEST_ID`: one request's log lines out of the aligner's log group — only its
 * own, even in a warm stream shared with other requests (aws/logs/request-logs.ts), then its final
 * status from the jobs table. `--follow` keeps reading until the request ends.
 */
import { REQUEST_ID } from "../../core/job-output.ts";
import type { Command } from "commander";
import { TERMINAL_STATUSES, type JobRecord } from "../../core/jobs-table.ts";
import type { JobRow } from "../../core/job-item.ts";
import { formatDuration } from "../../core/job-stats.ts";
import { parseTimeSpec } from "../../core/time-spec.ts";
import { requireResource } from "../../core/target.ts";
import { findRequestLogs, type RequestLogLine } from "../../aws/logs/request-logs.ts";
import { memoryCell } from "../../tui/rows.ts";
import { paintStatus } from "../../tui/plain.ts";
import { compactLogMessage } from "../../tui/log-line.ts";
import { intOption, withAws } from "../aws-call.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { colorEnabled, paint } from "../../tui/terminal-text.ts";
import { addTargetOptions, openJobsTable, type TargetFlags } from "../target.ts";

interface LogsOptions extends TargetFlags {
  follow?: boolean;
  since: string;
  json?: boolean;
  interval: number;
  raw?: boolean;
}

export function registerLogs(program: Command): void {
  const cmd = program
    .command("logs")
    .description("print one request's log lines (only its own, even in a shared warm stream) and its final status")
    .argument("<request-id>", "the Lambda request id (as in aligner history or watch)")
    .option("--follow", "keep printing new lines until the request ends")
    .option(
      "--since <when>",
      "when the job has no record yet: search the log group back to here (30m, 24h, 7d or ISO)",
      "24h",
    )
    .option("--interval <ms>", "with --follow: read again this often (ms)", intOption(100, 60_000), 1000)
    .option("--raw", "print structured (JSON) lines exactly as logged, not as `LEVEL message fields`")
    .option("--json", "one JSON object per line ({type: line|status, ...})");
  addTargetOptions(cmd)
    .addHelpText(
      "after",
      "\nExamples:\n  aligner logs 3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b\n  aligner logs --local --follow 3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
    )
    .action(async (requestId: string, opts: LogsOptions) => {
      if (!REQUEST_ID.test(requestId))
        throw new UsageError(
          `${JSON.stringify(requestId)} is not a Lambda request id (a UUID such as 3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b)`,
        );
      const id = requestId.toLowerCase();
      const sinceMs = parseTimeSpec(opts.since, Date.now(), "--since");
      const { target, table, clients, reader } = openJobsTable(opts);
      const color = colorEnabled();
      const printed = new Set<string>();
      let lastStream: string | undefined;
      const print = (lines: RequestLogLine[]) => {
        for (const l of lines) {
          if (printed.has(l.eventId)) continue;
          printed.add(l.eventId);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ type: "line", ...l })}\n`);
            continue;
          }
          if (l.logStream !== lastStream) process.stdout.write(`${paint("dim", `== ${l.logStream}`, color)}\n`);
          lastStream = l.logStream;
          process.stdout.write(`${formatLine(l, opts.raw === true)}\n`);
        }
      };
      try {
        let row: JobRow | undefined;
        let waitingSaid = false;
        for (;;) {
          row = await withAws(target, `reading the jobs table ${table}`, () => reader.getJob(id));
          const logGroup = row?.record.logGroup ?? requireResource(target, "alignerLogGroup");
          const now = Date.now();
          const found = await withAws(target, `reading the log group ${logGroup}`, () =>
            findRequestLogs(clients.logs(), {
              logGroup,
              requestId: id,
              ...(row ? { record: row.record } : {}),
              sinceMs,
              untilMs: now,
            }),
          );
          print(found.lines);
          const ended = row !== undefined && (TERMINAL_STATUSES as readonly string[]).includes(row.record.status);
          if (!opts.follow || ended) {
            if (!row && found.lines.length === 0) {
              throw new CliError(
                `no record and no log lines for request ${id} in ${logGroup} from ${new Date(found.searched.startTime).toISOString()} to ${new Date(found.searched.endTime).toISOString()} (try --since 7d)`,
                EXIT.failure,
              );
            }
            break;
          }
          if (!row && !waitingSaid && !opts.json) {
            process.stderr.write(`waiting for request ${id} to appear (Ctrl-C to stop)…\n`);
            waitingSaid = true;
          }
          await new Promise((r) => setTimeout(r, opts.interval));
        }
        if (opts.json)
          process.stdout.write(
            `${JSON.stringify({ type: "status", ...(row ? { record: row.record } : { record: null }) })}\n`,
          );
        else
          process.stdout.write(
            `${row ? statusSummary(row.record, color) : paint("yellow", "status: no record in the jobs table (yet); the lines above are all the log group holds", color)}\n`,
          );
      } finally {
        clients.destroy();
      }
    });
}

function formatLine(l: RequestLogLine, raw: boolean): string {
  const time = new Date(l.timestamp).toISOString();
  const text = raw ? l.message.replace(/\n+$/, "") : compactLogMessage(l.message);
  // Continuation lines of a multi-line message (a stack, an X-Ray line) are indented under it.
  return `${time}  ${text.replace(/\n/g, `\n${" ".repeat(time.length + 2)}`)}`;
}

export function statusSummary(r: JobRecord, color: boolean): string {
  const parts = [
    `${r.attempts} attempt${r.attempts === 1 ? "" : "s"}`,
    r.coldStart === undefined ? undefined : r.coldStart ? "cold start" : "warm start",
    r.durationMs === undefined ? undefined : `duration ${formatDuration(r.durationMs)}`,
    r.billedDurationMs === undefined ? undefined : `billed ${formatDuration(r.billedDurationMs)}`,
    r.memorySizeMb === undefined && r.maxMemoryUsedMb === undefined ? undefined : `memory ${memoryCell(r)}`,
  ].filter(Boolean);
  const lines = [`status: ${paintStatus(r.status, color)} (${parts.join(", ")})`];
  if (r.errorType || r.errorMessage) lines.push(`error: ${[r.errorType, r.errorMessage].filter(Boolean).join(": ")}`);
  if (r.outputBucket && r.outputKey) lines.push(`output: s3://${r.outputBucket}/${r.outputKey}`);
  return lines.join("\n");
}
