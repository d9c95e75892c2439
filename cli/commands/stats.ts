/**
 * `aligner stats`: counts per status, duration percentiles, cold-start rate, error types and
 * billed GB-seconds over the jobs started in a time range — every byStatus partition read over
 * that key range (Queries, in parallel), nothing else.
 */
import type { Command } from "commander";
import pLimit from "p-limit";
import { JOB_STATUSES, type JobRecord } from "../../core/jobs-table.ts";
import { computeStats, formatDuration, type JobStats } from "../../core/job-stats.ts";
import { startedRange, statusPartitions } from "../../core/job-queries.ts";
import { parseTimeRange } from "../../core/time-spec.ts";
import { paintStatus } from "../../tui/plain.ts";
import { withAws } from "../aws-call.ts";
import { colorEnabled, formatTable } from "../../tui/terminal-text.ts";
import { addTargetOptions, openJobsTable, type TargetFlags } from "../target.ts";

interface StatsOptions extends TargetFlags {
  since: string;
  until?: string;
  json?: boolean;
}

/** Partitions read at once: enough to hide latency, few enough not to burst. */
const PARALLEL_QUERIES = 4;

export function registerStats(program: Command): void {
  const cmd = program
    .command("stats")
    .description(
      "jobs per status, p50/p95/max duration, cold-start rate, error types and billed GB-seconds over a time range",
    )
    .option("--since <when>", "jobs started at or after: a span back from now (30m, 24h, 7d) or an ISO time", "24h")
    .option("--until <when>", "jobs started before (default: now)")
    .option("--json", "the figures as one JSON object");
  addTargetOptions(cmd)
    .addHelpText("after", "\nExamples:\n  aligner stats --since 7d\n  aligner stats --local --json")
    .action(async (opts: StatsOptions) => {
      const { sinceMs, untilMs } = parseTimeRange(opts.since, opts.until, Date.now());
      const { target, table, clients, reader } = openJobsTable(opts);
      const progress = process.stderr.isTTY === true;
      try {
        const records = await withAws(target, `reading the jobs table ${table}`, async () => {
          const out: JobRecord[] = [];
          const limit = pLimit(PARALLEL_QUERIES);
          const range = startedRange(sinceMs, untilMs);
          await Promise.all(
            statusPartitions().map((p) =>
              limit(async () => {
                for await (const page of reader.partitionRows(p, range)) {
                  for (const row of page) out.push(row.record);
                  if (progress) process.stderr.write(`\rread ${out.length} jobs…`);
                }
              }),
            ),
          );
          if (progress) process.stderr.write("\r\u001b[K");
          return out;
        });
        const stats = computeStats(records);
        const range = { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString() };
        if (opts.json)
          process.stdout.write(`${JSON.stringify({ ...range, ...stats, itemsRead: reader.counts.items })}\n`);
        else process.stdout.write(`${renderStats(stats, range, colorEnabled())}\n`);
      } finally {
        clients.destroy();
      }
    });
}

export function renderStats(s: JobStats, range: { since: string; until: string }, color: boolean): string {
  const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "-" : `${(x * 100).toFixed(1)}%`);
  const lines = [`${s.total} job${s.total === 1 ? "" : "s"} started from ${range.since} to ${range.until}`, ""];
  const statuses = [
    ...JOB_STATUSES,
    ...Object.keys(s.byStatus).filter((k) => !(JOB_STATUSES as readonly string[]).includes(k)),
  ];
  lines.push(
    formatTable(
      ["STATUS", "JOBS", "SHARE"],
      statuses.map((st) => {
        const n = s.byStatus[st] ?? 0;
        return [paintStatus(st, color), String(n), pct(s.total ? n / s.total : undefined)];
      }),
    ),
    "",
  );
  const d = s.durationMs;
  lines.push(
    `duration      ${d ? `p50 ${formatDuration(d.p50)}  p95 ${formatDuration(d.p95)}  max ${formatDuration(d.max)}  (over ${d.count} ended job${d.count === 1 ? "" : "s"})` : "-"}`,
  );
  lines.push(`cold starts   ${pct(s.cold.rate)}${s.cold.known ? ` (${s.cold.cold} of ${s.cold.known})` : ""}`);
  lines.push(`billed        ${s.billedGbSeconds.toFixed(1)} GB-seconds`);
  lines.push(
    `errors        ${s.errorTypes.length ? s.errorTypes.map((e) => `${e.errorType} ${e.count}`).join(", ") : "none"}`,
  );
  return lines.join("\n");
}
