/**
 * A job's alignment as the record names it, for `aligner fetch`, `aligner submit --download` and
 * the live view's `d`: whether it can be fetched now (and if not, the sentence that says why),
 * the file name it is saved under, and why it is gone when S3 no longer has it. Pure.
 *
 * The output's place is read from the record (`outputBucket`, `outputKey`), never derived from
 * the input key: the aligner decides it, and the record is what says what it did.
 */
import { formatDuration } from "./job-stats.ts";
import type { AlignerConfig } from "./config.ts";
import type { JobRecord } from "./jobs-table.ts";
import { jobProgress, type RetryPolicy } from "./submission.ts";

/** Lambda request ids are UUIDs; anything else cannot name a request. */
export const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OutputObject {
  bucket: string;
  key: string;
}

/** Why a job has nothing to fetch: the kinds scripts can tell apart (`--json`). */
export type NotFetchable = "running" | "failed" | "no-output";

export type OutputVerdict = { ok: true; output: OutputObject } | { ok: false; kind: NotFetchable; message: string };

/** Lambda's retry policy for the aligner as a waiter sees it: the local cloud divides the delays. */
export function retryPolicyFor(
  config: Pick<AlignerConfig, "aligner" | "local">,
  targetKind: "local" | "aws",
): RetryPolicy {
  return {
    maxRetries: config.aligner.maxRetries,
    delayDivisor: targetKind === "local" ? config.local.retryDelayDivisor : 1,
  };
}

/** How a job is named in messages: `job <id> (input <key>)`. */
export function jobLabel(r: JobRecord): string {
  return `job ${r.requestId}${r.inputKey ? ` (${r.inputKey})` : ""}`;
}

/** Whether the job's alignment can be fetched now, and if not, one sentence saying why and what to do. */
export function outputVerdict(r: JobRecord, now: { nowMs: number; policy: RetryPolicy }): OutputVerdict {
  const job = jobLabel(r);
  const progress = jobProgress(r, now.policy);
  if (progress.state === "running") {
    const started = Date.parse(r.startedAt ?? "");
    const since = Number.isFinite(started) ? `, started ${formatDuration(Math.max(0, now.nowMs - started))} ago` : "";
    return {
      ok: false,
      kind: "running",
      message: `${job} is still RUNNING${since}; fetch it when it has ended (aligner watch follows it)`,
    };
  }
  if (progress.state === "awaiting-retry" && now.nowMs < progress.untilMs)
    return {
      ok: false,
      kind: "running",
      message: `${job}: attempt ${r.attempts} ${r.status}${r.errorType ? ` (${r.errorType})` : ""} and Lambda retries it; fetch it when it has ended`,
    };
  if (r.status !== "SUCCEEDED") {
    const why = [r.errorType, r.errorMessage].filter(Boolean).join(": ");
    return {
      ok: false,
      kind: "failed",
      message: `${job} ${r.status}${why ? `: ${oneLine(why)}` : ""}; it has no alignment (aligner logs ${r.requestId} shows why)`,
    };
  }
  if (!r.outputBucket || !r.outputKey)
    return { ok: false, kind: "no-output", message: `${job} SUCCEEDED but its record names no output object` };
  return { ok: true, output: { bucket: r.outputBucket, key: r.outputKey } };
}

const DAY_MS = 86_400_000;

/**
 * Why S3 no longer has a job's alignment: the output bucket's lifecycle rule expires alignments
 * `resultExpiryDays` after they were written (0: never), so an output older than that expired;
 * a younger one was deleted. The setting is this machine's; the stack's may differ, hence "by".
 */
export function goneMessage(
  r: JobRecord,
  output: OutputObject,
  opts: { nowMs: number; resultExpiryDays: number },
): string {
  const where = `s3://${output.bucket}/${output.key}`;
  const ended = Date.parse(r.endedAt ?? r.updatedAt ?? "");
  const age = Number.isFinite(ended) ? opts.nowMs - ended : undefined;
  const ago = age === undefined ? "" : ` ${ageText(age)} ago`;
  if (opts.resultExpiryDays > 0 && age !== undefined && age >= opts.resultExpiryDays * DAY_MS)
    return `the alignment of ${jobLabel(r)}, ${where}, is gone: it was written${ago}, and the output bucket expires alignments after ${opts.resultExpiryDays} days (ALIGNER_RESULT_EXPIRY_DAYS); submit the input again to get it back`;
  return `the alignment of ${jobLabel(r)}, ${where}, is gone: it was deleted${age === undefined ? "" : ` (written${ago}, before the output bucket would have expired it)`}; submit the input again to get it back`;
}

/** An age in the unit that reads best: `40 min`, `5 h`, `31 days`. */
function ageText(ms: number): string {
  if (ms < 3_600_000) return `${Math.max(0, Math.round(ms / 60_000))} min`;
  if (ms < DAY_MS) return `${Math.round(ms / 3_600_000)} h`;
  const d = Math.floor(ms / DAY_MS);
  return `${d} day${d === 1 ? "" : "s"}`;
}

/** Longest file name most file systems take (NAME_MAX), in bytes. */
const NAME_MAX_BYTES = 255;

/**
 * The file name an output is saved under: the last segment of its key. S3 keys may end in `/`,
 * be `.` or `..`, or be longer than a file name can be; those get a sentence instead.
 */
export function outputFileName(key: string): { ok: true; name: string } | { ok: false; reason: string } {
  const name = key.slice(key.lastIndexOf("/") + 1);
  if (name === "" || name === "." || name === "..")
    return { ok: false, reason: `the output key ${JSON.stringify(key)} ends in no file name; save it with -o FILE` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the one byte no file name can hold.
  if (/\u0000/.test(name)) return { ok: false, reason: `the output key holds a NUL byte; save it with -o FILE` };
  if (Buffer.byteLength(name, "utf8") > NAME_MAX_BYTES)
    return {
      ok: false,
      reason: `the output's name is longer than the ${NAME_MAX_BYTES} bytes a file name can have; save it with -o FILE`,
    };
  return { ok: true, name };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}
