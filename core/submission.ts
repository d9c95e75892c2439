/**
 * `aligner submit`: where an upload goes, whether its key starts a job, which job record is its
 * job, and when that job has ended for good (Lambda retries some failures). Pure.
 */
import path from "node:path";
import { JOB_ERROR_TYPES } from "./job-events.ts";
import type { JobRecord } from "./jobs-table.ts";

/** The input key of an uploaded file: the configured input prefix, an optional folder, the file's name. */
export function inputKeyFor(file: string, opts: { inputPrefix: string; folder?: string }): string {
  const folder = (opts.folder ?? "").replace(/^\/+/, "");
  const withSlash = folder === "" || folder.endsWith("/") ? folder : `${folder}/`;
  return `${opts.inputPrefix}${withSlash}${path.basename(file)}`;
}

/** Why an object with this key would start no job (the bucket notification's filters), if it would not. */
export function whyNoJob(key: string, filter: { prefix: string; suffix: string }): string | undefined {
  if (filter.prefix && !key.startsWith(filter.prefix))
    return `only keys starting with '${filter.prefix}' start a job (ALIGNER_INPUT_PREFIX)`;
  if (filter.suffix && !key.endsWith(filter.suffix))
    return `only keys ending with '${filter.suffix}' start a job (ALIGNER_INPUT_SUFFIX); rename the file`;
  return undefined;
}

export interface Submission {
  file: string;
  key: string;
  /** When the upload finished (ms, our clock). */
  uploadedAtMs: number;
}

/** How far the job's start may precede our upload time (clock skew between us and Lambda). */
export const SKEW_MS = 60_000;

/** Is this record the job of this upload? Its input key, started after the upload (allowing for skew). */
export function isJobOf(record: JobRecord, sub: Submission): boolean {
  if (record.inputKey !== sub.key) return false;
  const started = Date.parse(record.startedAt ?? record.updatedAt ?? "");
  return !Number.isFinite(started) || started >= sub.uploadedAtMs - SKEW_MS;
}

export interface RetryPolicy {
  /** Async retries after the first attempt (aligner.maxRetries). */
  maxRetries: number;
  /** Divides Lambda's retry delays (the local cloud's setting; 1 in AWS). */
  delayDivisor: number;
}

/** Lambda waits about a minute before the first retry of an async event and two before the second. */
const RETRY_DELAY_MS = 60_000;
/**
 * Lambda's retry timing is approximate: allowance before concluding no retry is coming. At least
 * a few seconds whatever the divisor: the waiter sees a new attempt only after the log processor
 * has written it and the live read has settled.
 */
const RETRY_GRACE_MS = 30_000;
const MIN_GRACE_MS = 5_000;

export type JobProgress = { state: "running" } | { state: "ended" } | { state: "awaiting-retry"; untilMs: number };

/**
 * Where a job stands for someone waiting on it: running; ended for good (success, the aligner's
 * own verdict on the input, or out of retries); or failed in a way Lambda retries, with the time
 * after which no retry is expected any more.
 */
export function jobProgress(r: JobRecord, policy: RetryPolicy): JobProgress {
  if (r.status === "RUNNING") return { state: "running" };
  if (r.status === "SUCCEEDED") return { state: "ended" };
  // The aligner's own failures (bad input, MAFFT's verdict) return normally: no retry comes.
  if (
    r.status === "FAILED" &&
    r.errorType !== undefined &&
    (JOB_ERROR_TYPES as readonly string[]).includes(r.errorType)
  )
    return { state: "ended" };
  if (r.attempts >= policy.maxRetries + 1) return { state: "ended" };
  const ended = Date.parse(r.endedAt ?? r.updatedAt ?? "");
  if (!Number.isFinite(ended)) return { state: "ended" };
  const delay = (RETRY_DELAY_MS * Math.max(1, r.attempts)) / Math.max(1, policy.delayDivisor);
  return {
    state: "awaiting-retry",
    untilMs: ended + delay + Math.max(MIN_GRACE_MS, RETRY_GRACE_MS / Math.max(1, policy.delayDivisor)),
  };
}
