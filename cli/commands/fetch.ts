/**
 * `aligner fetch <request id | input key>...`: saves the alignment of each job, found through its
 * record in the jobs table (a request id is one GetItem; an input key is its newest job started
 * within `--since`, a filtered Query on the status index), into a folder under the output's own
 * name, into a file, or to stdout. Downloads are streamed and checked against the object's size
 * and ETag (aws/s3/download.ts). One sentence per job that has no alignment to give — unknown,
 * still running, failed, gone from the bucket — and exit code 1 if any.
 */
import type { Command } from "commander";
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { resolveConfig } from "../../core/config.ts";
import { formatBytes } from "../../core/format-bytes.ts";
import type { JobRecord } from "../../core/jobs-table.ts";
import { outputFileName, REQUEST_ID, retryPolicyFor } from "../../core/job-output.ts";
import { formatSpan, parseSpan } from "../../core/time-spec.ts";
import { queryHistory, type JobsReader } from "../../aws/dynamo/jobs-reader.ts";
import { DownloadCheckError } from "../../aws/s3/download.ts";
import { saveJobOutput, type SaveDestination } from "../../aws/s3/job-output.ts";
import { withAws } from "../aws-call.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { progressLine } from "../progress.ts";
import { addTargetOptions, openJobsTable, type TargetFlags } from "../target.ts";

interface FetchOptions extends TargetFlags {
  to?: string;
  output?: string;
  since: string;
  json?: boolean;
}

/** What became of one argument: `--json` prints it as it is. */
interface FetchResult {
  job: string;
  requestId?: string;
  status?: string;
  output?: string;
  /** Where it was saved (`-` for stdout). */
  saved?: string;
  bytes?: number;
  error?: {
    kind: "unknown" | "running" | "failed" | "no-output" | "gone" | "unnamed" | "clash" | "corrupt";
    message: string;
  };
}

export function registerFetch(program: Command): void {
  const cmd = program
    .command("fetch")
    .description("save the alignments of finished jobs, named by request id or input key")
    .argument("<jobs...>", "request ids, or input keys (the newest job of each)")
    .option("--to <dir>", "save each alignment in this folder under its output's name (default: here)")
    .option("-o, --output <file>", "save the one alignment as FILE; - writes it to stdout")
    .option("--since <span>", "an input key names its newest job started this far back", "30d")
    .option("--json", "one JSON object per job: where it was saved, or why not");
  addTargetOptions(cmd)
    .addHelpText(
      "after",
      "\nExamples:\n  aligner fetch 3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b\n  aligner fetch runs/opsins.fasta --to alignments/\n  aligner fetch --local input.fasta -o - | head\n\nExit code 1 if any job has no alignment to give (unknown, still running, failed, or its output gone).",
    )
    .action(async (jobs: string[], opts: FetchOptions) => {
      const sinceMs = parseSpan(opts.since);
      if (sinceMs === undefined || sinceMs <= 0)
        throw new UsageError(`--since must be a span such as 7d or 30d, got ${JSON.stringify(opts.since)}`);
      if (opts.output !== undefined && opts.to !== undefined)
        throw new UsageError("-o names one file and --to a folder; choose one");
      if (opts.output !== undefined && jobs.length > 1)
        throw new UsageError(`-o saves one alignment, and ${jobs.length} jobs were named; use --to DIR for several`);
      if (opts.output === "-" && opts.json)
        throw new UsageError("-o - writes the alignment to stdout, where --json writes too; choose one");
      if (opts.output !== undefined && opts.output !== "-") await checkOutputFile(opts.output);
      const results = await fetchAll(jobs, opts, sinceMs);
      const failed = results.filter((r) => r.error);
      if (failed.length === 0) return;
      if (results.length === 1 && !opts.json) throw new CliError(failed[0]!.error!.message, EXIT.failure);
      throw new CliError(`${failed.length} of ${results.length} alignments were not saved`, EXIT.failure);
    });
}

async function fetchAll(jobs: string[], opts: FetchOptions, sinceMs: number): Promise<FetchResult[]> {
  const config = resolveConfig({ env: process.env });
  const { target, table, clients, reader } = openJobsTable(opts);
  const policy = retryPolicyFor(config, target.kind);
  const results: FetchResult[] = [];
  // `-o -`: the bytes are the data; what is said about them goes to stderr.
  const say = (line: string) => (opts.output === "-" ? process.stderr : process.stdout).write(`${line}\n`);
  const tell = (r: FetchResult) => {
    results.push(r);
    if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    // One job: its sentence is the command's error line.
    else if (r.error && jobs.length > 1) process.stderr.write(`aligner: ${r.error.message}\n`);
    else if (r.saved) say(`saved ${r.output} → ${r.saved === "-" ? "stdout" : r.saved} (${formatBytes(r.bytes ?? 0)})`);
  };
  try {
    const found = await withAws(target, `reading the jobs table ${table}`, () =>
      findJobs(reader, jobs, { sinceMs, table }),
    );
    const claimed = new Map<string, string>();
    const seen = new Set<string>();
    for (const { job, record, error } of found) {
      if (!record) {
        tell({ job, error: error! });
        continue;
      }
      // The same job named twice (by id and by input key): saved once.
      if (seen.has(record.requestId)) continue;
      seen.add(record.requestId);
      const base: FetchResult = { job, requestId: record.requestId, status: record.status };
      const to = destination(record, opts, claimed);
      if ("error" in to) {
        tell({ ...base, error: to.error });
        continue;
      }
      const progress = progressLine(`downloading ${record.outputKey ?? job}`);
      const outcome = await withAws(target, `downloading the alignment of job ${record.requestId}`, () =>
        saveJobOutput(clients.s3(), record, to, {
          nowMs: Date.now(),
          policy,
          resultExpiryDays: config.resultExpiryDays,
          onProgress: progress.update,
        }).catch((err: unknown) => {
          // Bytes that do not check out are this job's failure, not the command's.
          if (err instanceof DownloadCheckError)
            return { ok: false as const, kind: "corrupt" as const, message: err.message };
          throw err;
        }),
      ).finally(() => progress.clear());
      const output =
        "output" in outcome && outcome.output ? `s3://${outcome.output.bucket}/${outcome.output.key}` : undefined;
      if (!outcome.ok)
        tell({ ...base, ...(output ? { output } : {}), error: { kind: outcome.kind, message: outcome.message } });
      else tell({ ...base, output: output!, saved: outcome.file ?? "-", bytes: outcome.bytes });
    }
  } finally {
    clients.destroy();
  }
  return results;
}

/** Each argument's record, or the sentence saying none was found. */
async function findJobs(
  reader: JobsReader,
  jobs: string[],
  ctx: { sinceMs: number; table: string },
): Promise<{ job: string; record?: JobRecord; error?: FetchResult["error"] }[]> {
  const out: { job: string; record?: JobRecord; error?: FetchResult["error"] }[] = [];
  for (const job of jobs) {
    if (REQUEST_ID.test(job)) {
      const row = await reader.getJob(job.toLowerCase());
      out.push(
        row
          ? { job, record: row.record }
          : {
              job,
              error: {
                kind: "unknown",
                message: `no job has request id ${job} in the jobs table ${ctx.table}; check the id (aligner history lists recent jobs)`,
              },
            },
      );
      continue;
    }
    const now = Date.now();
    let record: JobRecord | undefined;
    for await (const row of queryHistory(reader, {
      sinceMs: now - ctx.sinceMs,
      untilMs: now + 60_000,
      filters: { inputKey: job },
      limit: 1,
    }))
      record = row.record;
    out.push(
      record
        ? { job, record }
        : {
            job,
            error: {
              kind: "unknown",
              message: `no job of input key ${JSON.stringify(job)} started in the last ${formatSpan(ctx.sinceMs)} (neither a request id nor a key with a job; --since looks further back)`,
            },
          },
    );
  }
  return out;
}

/** Where this job's alignment goes; two jobs whose outputs share a name in one folder are refused, not overwritten. */
function destination(
  record: JobRecord,
  opts: FetchOptions,
  claimed: Map<string, string>,
): SaveDestination | { error: NonNullable<FetchResult["error"]> } {
  if (opts.output === "-") return { stream: process.stdout };
  if (opts.output !== undefined) return { file: opts.output };
  const dir = opts.to ?? ".";
  if (!record.outputKey) return { dir };
  const name = outputFileName(record.outputKey);
  if (!name.ok) return { dir };
  const file = path.join(dir, name.name);
  const other = claimed.get(file);
  if (other !== undefined)
    return {
      error: {
        kind: "clash",
        message: `job ${record.requestId}'s alignment would be saved as ${file} too (job ${other}'s is); fetch it alone with -o FILE`,
      },
    };
  claimed.set(file, record.requestId);
  return { dir };
}

/** `-o FILE`: not a folder; its folder is made if missing. */
async function checkOutputFile(file: string): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) throw new UsageError(`-o ${file} names a folder; use --to ${file} to save into it`);
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
}
