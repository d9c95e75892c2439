/**
 * Saves a job's alignment where the user asked — a folder (under the output's own name), a file,
 * or a stream — after checking from its record that there is one (core/job-output.ts), and says
 * in one sentence why not when there is not: still running, failed, no output named, or gone
 * from the bucket. What `aligner fetch`, `aligner submit --download` and the live view's `d`
 * share.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { JobRecord } from "../../core/jobs-table.ts";
import {
  goneMessage,
  outputFileName,
  outputVerdict,
  type NotFetchable,
  type OutputObject,
} from "../../core/job-output.ts";
import type { RetryPolicy } from "../../core/submission.ts";
import { downloadObject, ObjectMissingError, type DownloadOptions } from "./download.ts";

export type SaveDestination = { dir: string } | { file: string } | { stream: NodeJS.WritableStream };

export type SaveOutcome =
  | { ok: true; output: OutputObject; file?: string; bytes: number; checked: "size+etag" | "size" }
  | { ok: false; kind: NotFetchable | "gone" | "unnamed"; message: string; output?: OutputObject };

export interface SaveOptions extends DownloadOptions {
  nowMs: number;
  policy: RetryPolicy;
  /** The output bucket's expiry (config `resultExpiryDays`), to tell an expired output from a deleted one. */
  resultExpiryDays: number;
}

/** Failures of S3 itself (unreachable, access denied, bytes that do not check out) are thrown. */
export async function saveJobOutput(
  s3: S3Client,
  record: JobRecord,
  to: SaveDestination,
  opts: SaveOptions,
): Promise<SaveOutcome> {
  const verdict = outputVerdict(record, { nowMs: opts.nowMs, policy: opts.policy });
  if (!verdict.ok) return verdict;
  const { output } = verdict;
  let file: string | undefined;
  if ("dir" in to) {
    const name = outputFileName(output.key);
    if (!name.ok) return { ok: false, kind: "unnamed", message: name.reason, output };
    await mkdir(to.dir, { recursive: true });
    file = path.join(to.dir, name.name);
  } else if ("file" in to) file = to.file;
  try {
    const saved = await downloadObject(
      s3,
      output,
      file !== undefined ? { file } : (to as { stream: NodeJS.WritableStream }),
      {
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      },
    );
    return { ok: true, output, ...(file !== undefined ? { file } : {}), bytes: saved.bytes, checked: saved.checked };
  } catch (err) {
    if (err instanceof ObjectMissingError && err.what === "key")
      return { ok: false, kind: "gone", message: goneMessage(record, output, opts), output };
    throw err;
  }
}
