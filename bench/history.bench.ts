/**
 * `aligner history --status FAILED --since 7d`: items read per item returned (target ≤ 1.1), on
 * 20,000 jobs over 14 days in dynalite, through the same query the command runs (a Query per
 * shard of the status index, merged newest first and paginated lazily). The baseline in the
 * same run is the number of jobs returned; for scale, what a Scan of the table would read.
 * Also the other histories a user runs: every status, a filter (`--cold`, which costs reads for
 * the jobs it drops), and everything (`--limit 0`).
 */
import { startDynalite } from "../test/helpers/dynalite.ts";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { createJobsTableInput, type JobStatus } from "../core/jobs-table.ts";
import type { HistoryFilters } from "../core/job-queries.ts";
import { JobsReader, queryHistory } from "../aws/dynamo/jobs-reader.ts";
import { generateJobs, writeJobs } from "../test/helpers/job-records.ts";

const JOBS = 20_000;
const DAY = 86_400_000;
const NOW = Date.parse("2026-11-24T12:00:00Z");

const db = await startDynalite({ onDisk: true });
try {
  const admin = db.client();
  await admin.send(new CreateTableCommand(createJobsTableInput("bench-history")));
  const jobs = generateJobs(JOBS, { newestMs: NOW - 60_000, spacingMs: (14 * DAY) / JOBS, seed: 42 });
  await writeJobs(admin, "bench-history", jobs, 8);

  const cases: { name: string; statuses?: JobStatus[]; filters?: HistoryFilters; limit?: number; target?: number }[] = [
    { name: "--status FAILED --since 7d (default --limit 100)", statuses: ["FAILED"], limit: 100, target: 1.1 },
    { name: "--status FAILED --since 7d --limit 20", statuses: ["FAILED"], limit: 20 },
    { name: "--status FAILED --since 7d --limit 1000", statuses: ["FAILED"], limit: 1000, target: 1.1 },
    { name: "--status FAILED --since 7d --limit 0", statuses: ["FAILED"], target: 1.1 },
    { name: "--since 7d (every status, --limit 100)", limit: 100 },
    { name: "--since 7d --cold --limit 0 (a filter)", filters: { cold: true } },
  ];
  console.log(
    `# aligner history on ${JOBS.toLocaleString("en")} jobs over 14 days (a Scan would read ${JOBS.toLocaleString("en")} items every time)`,
  );
  for (const c of cases) {
    const reader = new JobsReader(db.client(), "bench-history");
    let returned = 0;
    const t = performance.now();
    for await (const _ of queryHistory(reader, {
      ...(c.statuses ? { statuses: c.statuses } : {}),
      sinceMs: NOW - 7 * DAY,
      untilMs: NOW,
      ...(c.filters ? { filters: c.filters } : {}),
      ...(c.limit ? { limit: c.limit } : {}),
    }))
      returned++;
    const ms = performance.now() - t;
    const ratio = reader.counts.items / Math.max(1, returned);
    const verdict =
      c.target === undefined
        ? ""
        : ratio <= c.target
          ? ` (target ≤ ${c.target}: met)`
          : ` (target ≤ ${c.target}: MISSED)`;
    console.log(
      `history ${c.name}: ${returned} returned, ${reader.counts.items} read in ${reader.counts.requests} queries = ${ratio.toFixed(3)} read per returned${verdict}; ${(JOBS / Math.max(1, reader.counts.items)).toFixed(0)}× fewer than a Scan; ${ms.toFixed(0)} ms`,
    );
    if (c.target !== undefined && ratio > c.target) process.exitCode = 1;
  }
} finally {
  await db.close();
}
