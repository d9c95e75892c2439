/**
 * One alignment job: one S3 object from the input bucket to one alignment in the output bucket.
 * Permanent problems are thrown as `JobFailure` (see failures.ts); the work folder is removed
 * whatever happened.
 */
import { mkdtemp, rm, statfs } from "node:fs/promises";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "@aws-lambda-powertools/logger";
import { knobEnv } from "../../core/config.ts";
import { compareAlignment, FastaScanner } from "../../core/fasta.ts";
import { jobEventFields, jobEventMessage, type JobEvent } from "../../core/job-events.ts";
import {
  formatMafftArgs,
  keepsAnySymbol,
  MAFFT_ARGS_METADATA_KEY,
  parseMafftArgs,
  reordersOutput,
} from "../../core/mafft-args.ts";
import { mafftInputComplaint, StderrForwarder } from "../../core/mafft-stderr.ts";
import {
  MAX_USER_METADATA_BYTES,
  OUTPUT_CONTENT_TYPE,
  OutputKeyError,
  outputKeyFor,
  outputMetadata,
} from "../../core/output-key.ts";
import { formatBytes } from "../../core/format-bytes.ts";
import { JobFailure } from "./failures.ts";
import { runMafft, type LocatedMafft } from "./mafft-runner.ts";
import {
  getObject,
  InputRejected,
  isAccessDenied,
  isNoSuchKey,
  isNoSuchVersion,
  keyListed,
  putFile,
  saveBody,
  scanFile,
} from "./s3-io.ts";

export interface JobSettings {
  inputBucket: string;
  outputBucket: string;
  maxInputBytes: number;
  defaultArgs: readonly string[];
  killMarginMs: number;
}

export interface JobContext {
  s3: S3Client;
  logger: Logger;
  settings: JobSettings;
  /** Scratch root (`/tmp` in Lambda). */
  tmpDir: string;
  basePath?: string;
  requestId: string;
  remainingMs: () => number;
  mafft: () => Promise<LocatedMafft>;
}

export interface JobInput {
  bucket: string;
  key: string;
  /** Size from the event (checked again against the object S3 returns). */
  size: number | undefined;
  /** The object version the event is about (versioned buckets only). */
  versionId?: string;
}

/** The settings a failure tells the user to raise, by their variables (defined in core/config.ts). */
const RAISE = {
  maxInputBytes: knobEnv("input.maxBytes"),
  timeout: knobEnv("aligner.timeoutSeconds"),
  memory: knobEnv("aligner.memoryMb"),
  scratch: knobEnv("aligner.ephemeralStorageMb"),
};

/**
 * /tmp a job needs, from its input size: the input, the alignment (gaps make it larger, about
 * 1.5x for typical protein families) and MAFFT's temporary files (about the input again), plus
 * slack for MAFFT's fixed-size files.
 */
export function scratchNeeded(inputBytes: number): number {
  return Math.ceil(inputBytes * 4) + 16 * 1024 * 1024;
}

/**
 * The sentence for an input that is gone when the aligner reads it, or undefined when `e` is
 * another trouble (which stays a fault, retried). With an input prefix, the role may list only
 * that prefix (`s3:prefix` on ListBucket), and S3 then answers a missing key with AccessDenied:
 * a listing of the key tells the two apart. A listing that fails leaves the denial a fault.
 */
async function whyInputIsGone(s3: S3Client, job: JobInput, e: unknown): Promise<string | undefined> {
  const deleted = `${job.key} no longer exists in ${job.bucket} (it was deleted before the aligner could read it); upload it again.`;
  if (isNoSuchVersion(e))
    return `${job.key} no longer exists in ${job.bucket}: version ${job.versionId ?? "?"} was deleted before the aligner could read it; upload it again.`;
  if (isNoSuchKey(e)) return deleted;
  if (isAccessDenied(e) && !(await keyListed(s3, job.bucket, job.key).catch(() => true))) return deleted;
  return undefined;
}

export function logJobEvent(logger: Logger, event: JobEvent): void {
  const fields = jobEventFields(event);
  if (event.jobEvent === "failed") logger.error(jobEventMessage(event), fields);
  else logger.info(jobEventMessage(event), fields);
}

export async function runJob(job: JobInput, ctx: JobContext): Promise<void> {
  const { settings, logger } = ctx;
  const { key } = job;
  const tooLarge = (bytes: number) =>
    new JobFailure(
      "InputTooLarge",
      `${key} is ${formatBytes(bytes)}, more than the aligner's limit of ${formatBytes(settings.maxInputBytes)}; split it into smaller files, or raise ${RAISE.maxInputBytes}.`,
    );
  if (job.size !== undefined && job.size > settings.maxInputBytes) throw tooLarge(job.size);
  let outputKey: string;
  try {
    outputKey = outputKeyFor(key);
  } catch (e) {
    if (e instanceof OutputKeyError) throw new JobFailure("InvalidInput", `${key} cannot be aligned: ${e.message}.`);
    throw e;
  }
  await checkScratchSpace(key, job.size ?? 0, ctx.tmpDir);

  // MAFFT first: if the layer is broken, fail (and retry) before downloading anything.
  const mafft = await ctx.mafft();
  const workDir = await mkdtemp(
    path.join(ctx.tmpDir, `aligner-${ctx.requestId.replace(/[^A-Za-z0-9-]/g, "") || "job"}-`),
  );
  try {
    const inputFile = path.join(workDir, "input.fasta");
    const outputFile = path.join(workDir, "alignment.fasta");

    let object: Awaited<ReturnType<typeof getObject>>;
    try {
      object = await getObject(ctx.s3, job.bucket, key, job.versionId);
    } catch (e) {
      const gone = await whyInputIsGone(ctx.s3, job, e);
      if (gone !== undefined) throw new JobFailure("NoSuchKey", gone);
      throw e;
    }
    const size = object.ContentLength;
    const requested = object.Metadata?.[MAFFT_ARGS_METADATA_KEY] ?? "";
    let args: string[];
    try {
      if (size !== undefined && size > settings.maxInputBytes) throw tooLarge(size);
      if (size !== undefined && size !== job.size) await checkScratchSpace(key, size, ctx.tmpDir);
      const parsed = parseMafftArgs(requested);
      if (!parsed.ok) {
        throw new JobFailure(
          "InvalidArguments",
          `${key} asks for MAFFT arguments the aligner does not allow (x-amz-meta-${MAFFT_ARGS_METADATA_KEY}: '${requested.slice(0, 200)}'): ${parsed.reason}.`,
        );
      }
      args = parsed.args.length > 0 ? parsed.args : [...settings.defaultArgs];
    } catch (e) {
      // A refused object is never read: release its body, or its connection stays taken in the warm environment.
      object.Body.destroy();
      throw e;
    }
    const anySymbol = keepsAnySymbol(args);

    const scanner = new FastaScanner({ symbols: anySymbol ? "printable" : "letters" });
    let inputBytes: number;
    try {
      inputBytes = await saveBody(object.Body, inputFile, scanner);
    } catch (e) {
      if (e instanceof InputRejected) throw new JobFailure("InvalidInput", `${key} ${e.message}.`);
      throw e;
    }
    if (size !== undefined && inputBytes !== size)
      throw new Error(`the download of s3://${job.bucket}/${key} ended after ${inputBytes} of ${size} bytes`);
    const input = scanner.finish();
    if (!input.ok) throw new JobFailure("InvalidInput", `${key} ${input.reason}.`);

    const mafftArgs = formatMafftArgs(args);
    logJobEvent(logger, {
      jobEvent: "accepted",
      inputBucket: job.bucket,
      inputKey: key,
      inputBytes,
      sequences: input.summary.records,
      mafftArgs,
    });

    const stderr = new StderrForwarder((line) => logger.info(`mafft: ${line}`));
    const run = await runMafft({
      mafft,
      args,
      inputFile,
      outputFile,
      workDir,
      tmpDir: ctx.tmpDir,
      basePath: ctx.basePath,
      timeLimitMs: ctx.remainingMs() - settings.killMarginMs,
      onStderr: (text) => stderr.write(text),
    });
    const { skipped, tail } = stderr.end();
    if (skipped > 0)
      logger.info(`mafft: ${skipped} more lines not shown; the last ${tail.length} were:`, { mafftStderrTail: tail });

    if (run.timedOut) {
      throw new JobFailure(
        "MafftTimeout",
        `MAFFT did not finish aligning ${key} in the time the function had left (it was stopped ${Math.round(settings.killMarginMs / 1000)} s before the Lambda timeout, after ${(run.durationMs / 1000).toFixed(1)} s); choose faster options such as --retree 1 --maxiterate 0, or raise ${RAISE.timeout}.`,
      );
    }
    const complaint = mafftInputComplaint(tail);
    if (run.exitCode !== 0) {
      if (complaint !== undefined) throw new JobFailure("InvalidInput", `${key} ${complaint}.`);
      const how =
        run.signal !== null
          ? `was killed by ${run.signal}${run.signal === "SIGKILL" ? " (out of memory?)" : ""}`
          : `exited with status ${run.exitCode}`;
      throw new JobFailure(
        "MafftFailed",
        `MAFFT ${how} while aligning ${key}${lastWords(tail)}; check the input and arguments, or raise ${RAISE.memory}.`,
      );
    }

    const outScanner = new FastaScanner({ symbols: "printable", uniqueNames: false, minRecords: 1 });
    await scanFile(outputFile, outScanner);
    const output = outScanner.finish();
    if (!output.ok) {
      if (complaint !== undefined) throw new JobFailure("InvalidInput", `${key} ${complaint}.`);
      throw new JobFailure(
        "MafftFailed",
        `MAFFT wrote no usable alignment for ${key} (its output ${output.reason})${lastWords(tail)}.`,
      );
    }
    const mismatch = compareAlignment(input.summary, output.summary, reordersOutput(args));
    if (mismatch !== undefined) {
      throw new JobFailure(
        "MafftFailed",
        `MAFFT's alignment of ${key} does not hold the input's sequences (${mismatch}); check the input for symbols MAFFT drops, or try --anysymbol.`,
      );
    }

    const { metadata, omitted } = outputMetadata({
      requestId: ctx.requestId,
      mafftVersion: mafft.version,
      mafftArgs,
      inputBucket: job.bucket,
      inputKey: key,
      inputEtag: object.ETag ?? "",
      sequences: output.summary.records,
    });
    if (omitted.length > 0)
      logger.warn(
        `the alignment of ${key} carries no ${omitted.join(" or ")} metadata: with it, the metadata would pass S3's ${MAX_USER_METADATA_BYTES}-byte limit`,
        { omittedMetadata: omitted },
      );
    await putFile(ctx.s3, {
      bucket: settings.outputBucket,
      key: outputKey,
      file: outputFile,
      contentType: OUTPUT_CONTENT_TYPE,
      metadata,
    });
    logJobEvent(logger, {
      jobEvent: "succeeded",
      outputBucket: settings.outputBucket,
      outputKey,
      mafftDurationMs: Math.round(run.durationMs),
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function checkScratchSpace(key: string, bytes: number, tmpDir: string): Promise<void> {
  const fs = await statfs(tmpDir);
  const free = fs.bavail * fs.bsize;
  const needed = scratchNeeded(bytes);
  if (needed > free) {
    throw new JobFailure(
      "InputTooLarge",
      `${key} (${formatBytes(bytes)}) needs about ${formatBytes(needed)} of scratch space but only ${formatBytes(free)} is free in ${tmpDir}; raise ${RAISE.scratch} or split the input.`,
    );
  }
}

/** MAFFT's last non-trivial stderr line, quoted for a message. */
function lastWords(tail: readonly string[]): string {
  const line = [...tail].reverse().find((l) => /[A-Za-z]{3}/.test(l));
  return line === undefined ? "" : ` (MAFFT said: "${line.trim().slice(0, 200)}")`;
}
