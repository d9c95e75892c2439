/**
 * `aligner submit --wait --download DIR`: once the jobs have ended, each succeeded job's alignment
 * is saved as DIR/<its output's name> (streamed and checked, aws/s3/job-output.ts); jobs that did
 * not succeed have already said why and are not written. One line per file, as submit prints.
 */
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { formatBytes } from "../core/format-bytes.ts";
import type { JobRecord } from "../core/jobs-table.ts";
import { outputFileName } from "../core/job-output.ts";
import type { RetryPolicy } from "../core/submission.ts";
import { DownloadCheckError } from "../aws/s3/download.ts";
import { saveJobOutput } from "../aws/s3/job-output.ts";
import { progressLine } from "./progress.ts";

export interface DownloadItem {
  /** The local file the job was submitted from (how submit names it). */
  file: string;
  record?: JobRecord;
}

export interface DownloadReport {
  /** Where each saved alignment went, by request id. */
  saved: Map<string, string>;
  /** Succeeded jobs whose alignment could not be saved, with the sentence why. */
  failed: { file: string; message: string }[];
}

export async function downloadOutputs(
  items: readonly DownloadItem[],
  ctx: {
    s3: S3Client;
    dir: string;
    policy: RetryPolicy;
    resultExpiryDays: number;
    /** Lines for people (false under --json). */
    print: boolean;
  },
): Promise<DownloadReport> {
  const report: DownloadReport = { saved: new Map(), failed: [] };
  const claimed = new Map<string, string>();
  const say = (line: string) => ctx.print && process.stdout.write(`${line}\n`);
  for (const { file, record } of items) {
    if (record?.status !== "SUCCEEDED") continue;
    const name = record.outputKey ? outputFileName(record.outputKey) : undefined;
    const target = name?.ok ? path.join(ctx.dir, name.name) : undefined;
    if (target !== undefined && claimed.has(target)) {
      const message = `its alignment would be saved as ${target} too (as ${claimed.get(target)}'s is); fetch it with aligner fetch ${record.requestId} -o FILE`;
      report.failed.push({ file, message });
      say(`${file}: not saved: ${message}`);
      continue;
    }
    if (target !== undefined) claimed.set(target, file);
    const progress = progressLine(`downloading ${record.outputKey}`);
    try {
      const outcome = await saveJobOutput(
        ctx.s3,
        record,
        { dir: ctx.dir },
        {
          nowMs: Date.now(),
          policy: ctx.policy,
          resultExpiryDays: ctx.resultExpiryDays,
          onProgress: progress.update,
        },
      );
      progress.clear();
      if (outcome.ok) {
        report.saved.set(record.requestId, outcome.file!);
        say(`${file}: saved → ${outcome.file} (${formatBytes(outcome.bytes)})`);
      } else {
        report.failed.push({ file, message: outcome.message });
        say(`${file}: not saved: ${outcome.message}`);
      }
    } catch (err) {
      progress.clear();
      if (!(err instanceof DownloadCheckError)) throw err;
      report.failed.push({ file, message: err.message });
      say(`${file}: not saved: ${err.message}`);
    }
  }
  return report;
}
