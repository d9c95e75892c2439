/**
 * `aligner history`: jobs by start time, newest first, from the byStatus index — a Query per
 * status and shard, merged and paginated lazily, never a Scan. `--input` and `--cold` are
 * filters applied after the read (they cost reads for the jobs they drop); status and time are
 * key conditions (they cost nothing for the jobs they exclude).
 */
import type { Command } from "commander";
import { JOB_RECORD_FIELDS, JOB_STATUSES, type JobStatus } from "../../core/jobs-table.ts";
import { parseTimeRange } from "../../core/time-spec.ts";
import { queryHistory } from "../../aws/dynamo/jobs-reader.ts";
import { jobsTable } from "../../tui/plain.ts";
import { intOption, withAws } from "../aws-call.ts";
import { UsageError } from "../errors.ts";
import { colorEnabled, csvLine } from "../../tui/terminal-text.ts";
import { addTargetOptions, openJobsTable, type TargetFlags } from "../target.ts";

interface HistoryOptions extends TargetFlags {
  status?: string;
  since: string;
  until?: string;
  input?: string;
  cold?: boolean;
  limit: number;
  json?: boolean;
  csv?: boolean;
}

export const DEFAULT_HISTORY_LIMIT = 100;

export function parseStatuses(text: string | undefined): JobStatus[] | undefined {
  if (text === undefined) return undefined;
  const wanted = text
    .split(",")
    .map((s) => s.trim().toUpperCase().replace(/-/g, "_"))
    .filter(Boolean);
  const bad = wanted.filter((s) => !(JOB_STATUSES as readonly string[]).includes(s));
  if (bad.length || wanted.length === 0)
    throw new UsageError(
      `--status must be one or more of ${JOB_STATUSES.join(", ")} (comma-separated), got ${JSON.stringify(text)}`,
    );
  return [...new Set(wanted)] as JobStatus[];
}

export function registerHistory(program: Command): void {
  const cmd = program
    .command("history")
    .description("list jobs by start time, newest first (a Query on the status index, never a Scan)")
    .option("--status <statuses>", `only these statuses, comma-separated: ${JOB_STATUSES.join(", ")}`)
    .option("--since <when>", "started at or after: a span back from now (30m, 24h, 7d) or an ISO time", "24h")
    .option("--until <when>", "started before: a span back from now or an ISO time (default: now)")
    .option("--input <prefix>", "only jobs whose input key starts with this (filtered after the read)")
    .option("--cold", "only cold starts (filtered after the read)")
    .option("--limit <n>", "at most this many jobs; 0 = all", intOption(0), DEFAULT_HISTORY_LIMIT)
    .option("--json", "one JSON object per job and line")
    .option("--csv", "CSV with a header line");
  addTargetOptions(cmd)
    .addHelpText(
      "after",
      "\nExamples:\n  aligner history --status FAILED --since 7d\n  aligner history --input runs/2026-11/ --limit 0 --csv > jobs.csv\n  aligner history --local --cold --json",
    )
    .action(async (opts: HistoryOptions) => {
      if (opts.json && opts.csv) throw new UsageError("--json and --csv are two output formats; choose one");
      const statuses = parseStatuses(opts.status);
      const { sinceMs, untilMs } = parseTimeRange(opts.since, opts.until, Date.now());
      const { target, table, clients, reader } = openJobsTable(opts);
      const out = process.stdout;
      try {
        await withAws(target, `reading the jobs table ${table}`, async () => {
          const rows = queryHistory(reader, {
            ...(statuses ? { statuses } : {}),
            sinceMs,
            untilMs,
            filters: {
              ...(opts.input !== undefined ? { inputPrefix: opts.input } : {}),
              ...(opts.cold ? { cold: true } : {}),
            },
            ...(opts.limit > 0 ? { limit: opts.limit } : {}),
          });
          let count = 0;
          if (opts.csv) out.write(`${csvLine(JOB_RECORD_FIELDS)}\n`);
          const records = [];
          for await (const row of rows) {
            count++;
            // Data formats stream; the table needs every row to size its columns.
            if (opts.json) out.write(`${JSON.stringify(row.record)}\n`);
            else if (opts.csv) out.write(`${csvLine(JOB_RECORD_FIELDS.map((f) => row.record[f]))}\n`);
            else records.push(row.record);
          }
          if (!opts.json && !opts.csv) {
            out.write(
              records.length
                ? `${jobsTable(records, { color: colorEnabled(out), nowMs: Date.now() })}\n`
                : `no jobs started between ${new Date(sinceMs).toISOString()} and ${new Date(untilMs).toISOString()} match\n`,
            );
          }
          const more = opts.limit > 0 && count === opts.limit ? ` (the first ${opts.limit}; --limit 0 for all)` : "";
          process.stderr.write(
            `${count} job${count === 1 ? "" : "s"}${more} · ${reader.counts.items} item${reader.counts.items === 1 ? "" : "s"} read in ${reader.counts.requests} quer${reader.counts.requests === 1 ? "y" : "ies"}\n`,
          );
        });
      } finally {
        clients.destroy();
      }
    });
}
