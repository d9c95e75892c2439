/**
 * Generated job records and a writer that stores them as the log processor does (the record's
 * fields plus the index keys from `jobIndexKeys`), for the CLI and live-view tests and the
 * benchmarks. Deterministic for a seed.
 */
import { rng } from "./random.ts";
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { jobIndexKeys, jobKey, JOBS_TABLE, type JobRecord, type JobStatus } from "../../core/jobs-table.ts";

export function uuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface GeneratedJob {
  record: JobRecord;
  /** The index sort time (startedAt). */
  sortTime: string;
  updatedAt: string;
}

export interface GenerateOptions {
  seed?: number;
  /** Start time of the newest job (ms); older jobs are spaced back from it. */
  newestMs: number;
  spacingMs?: number;
  /** Fraction of each status; the rest SUCCEEDED. */
  mix?: Partial<Record<JobStatus, number>>;
}

export function generateJobs(n: number, opts: GenerateOptions): GeneratedJob[] {
  const rand = rng(opts.seed ?? 1);
  const spacing = opts.spacingMs ?? 1000;
  const mix = { RUNNING: 0.05, FAILED: 0.1, TIMED_OUT: 0.05, ...opts.mix };
  const out: GeneratedJob[] = [];
  for (let i = 0; i < n; i++) {
    const startMs = opts.newestMs - i * spacing;
    const x = rand();
    const status: JobStatus =
      x < mix.RUNNING
        ? "RUNNING"
        : x < mix.RUNNING + mix.FAILED
          ? "FAILED"
          : x < mix.RUNNING + mix.FAILED + mix.TIMED_OUT
            ? "TIMED_OUT"
            : "SUCCEEDED";
    const requestId = uuid(rand);
    const cold = rand() < 0.2;
    const record: JobRecord = {
      requestId,
      status,
      attempts: status === "TIMED_OUT" ? 3 : 1,
      coldStart: cold,
      logStream: `2026/11/24/[$LATEST]${requestId.replace(/-/g, "").slice(0, 32)}`,
      logGroup: "/aws/lambda/lambda-aligner-aligner",
      startedAt: new Date(startMs).toISOString(),
      inputBucket: "lambda-aligner-input",
      inputKey: `batch-${i % 7}/sample-${i}.fasta`,
      inputBytes: 1000 + Math.floor(rand() * 100_000),
      sequences: 2 + Math.floor(rand() * 200),
      memorySizeMb: 2048,
    };
    if (cold) record.initDurationMs = 200 + Math.round(rand() * 300);
    if (status !== "RUNNING") {
      const duration = Math.round(100 + rand() * 5000);
      record.durationMs = duration;
      record.billedDurationMs = Math.ceil(duration);
      record.maxMemoryUsedMb = 90 + Math.floor(rand() * 400);
      record.endedAt = new Date(startMs + duration).toISOString();
    }
    if (status === "SUCCEEDED") {
      record.outputBucket = "lambda-aligner-output";
      record.outputKey = `${record.inputKey}.aln`;
    }
    if (status === "FAILED") {
      const invalid = rand() < 0.5;
      record.errorType = invalid ? "InvalidInput" : "Runtime.OutOfMemory";
      record.errorMessage = invalid
        ? `${record.inputKey} is not FASTA: line 1 does not start with >`
        : "Runtime exited with error: signal: killed";
    }
    if (status === "TIMED_OUT") record.errorMessage = "Task timed out after 300.00 seconds";
    const updatedAt = new Date(record.endedAt ? Date.parse(record.endedAt) : startMs).toISOString();
    record.updatedAt = updatedAt;
    out.push({ record, sortTime: record.startedAt!, updatedAt });
  }
  return out;
}

/** The item the log processor would store for this job (without its facts). */
export function jobItem(job: GeneratedJob): Record<string, unknown> {
  return {
    ...jobKey(job.record.requestId),
    ...job.record,
    ...jobIndexKeys({
      requestId: job.record.requestId,
      status: job.record.status,
      sortTime: job.sortTime,
      updatedAt: job.updatedAt,
    }),
    [JOBS_TABLE.ttlAttribute]: Math.floor(Date.parse(job.updatedAt) / 1000) + 90 * 86400,
    rev: 1,
    facts: {},
  };
}

export async function writeJobs(
  client: DynamoDBClient,
  table: string,
  jobs: GeneratedJob[],
  concurrency = 8,
): Promise<void> {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < jobs.length; i += 25) batches.push(jobs.slice(i, i + 25).map(jobItem));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let items = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
      while (items.length) {
        const res = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: items } }));
        items = (res.UnprocessedItems?.[table] ?? []) as typeof items;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Changes a job as a processor write would: new fields, new updatedAt, index keys moved. */
export async function updateJob(
  client: DynamoDBClient,
  table: string,
  job: GeneratedJob,
  change: Partial<JobRecord>,
  updatedAt: string,
): Promise<GeneratedJob> {
  const record: JobRecord = { ...job.record, ...change, updatedAt };
  const next: GeneratedJob = { record, sortTime: record.startedAt ?? job.sortTime, updatedAt };
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const attrs = jobItem(next);
  delete attrs["pk"];
  delete attrs["sk"];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(attrs).map(([k, v], i) => {
    names[`#a${i}`] = k;
    values[`:v${i}`] = v;
    return `#a${i} = :v${i}`;
  });
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: jobKey(record.requestId),
      UpdateExpression: `SET ${sets.join(", ")}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
  return next;
}
