/**
 * The aligner's invocation logic, with its dependencies passed in (the Lambda entry in handler.ts
 * builds them from the environment; tests build them directly).
 *
 * For each `ObjectCreated` record of the input bucket, one after another: run the job
 * (job.ts). A permanent failure is logged as a `failed` job event and the next record goes on; a
 * transient one is logged too, the remaining records still run, and the invocation then throws so
 * Lambda retries the event (jobs that succeeded just write the same output again).
 */
import type { Context, S3Event, S3EventRecord } from "aws-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "@aws-lambda-powertools/logger";
import { EventKeyError, decodeEventKey } from "../../core/s3-event-key.ts";
import { JobFailure } from "./failures.ts";
import { logJobEvent, runJob, type JobInput, type JobSettings } from "./job.ts";
import { mafftFor, type LocatedMafft } from "./mafft-runner.ts";

export interface AlignerDeps {
  s3: S3Client;
  logger: Logger;
  settings: JobSettings;
  mafftRoot: string;
  /** Scratch root; read per invocation (`os.tmpdir()` follows TMPDIR). */
  tmpDir: () => string;
  basePath?: string;
}

export type AlignerHandler = (event: S3Event, context: Context) => Promise<void>;

export function createAligner(deps: AlignerDeps): AlignerHandler {
  const announced = new WeakSet<LocatedMafft>();

  return async (event, context) => {
    const { logger } = deps;
    logger.addContext(context);
    const tmpDir = deps.tmpDir();
    const mafft = async () => {
      const m = await mafftFor({ root: deps.mafftRoot, tmpDir, basePath: deps.basePath });
      if (!announced.has(m)) {
        announced.add(m);
        logger.info(
          m.via === "layer"
            ? `MAFFT ${m.version} runs from ${m.layout.root} in place`
            : `MAFFT ${m.version}: the files at ${deps.mafftRoot} are not executable, so they were copied to ${m.layout.root} and made executable (once per execution environment)`,
          { mafftRoot: m.layout.root, mafftVia: m.via, mafftVersion: m.version },
        );
      }
      return m;
    };

    const records = Array.isArray(event?.Records) ? event.Records : [];
    const transient: unknown[] = [];
    for (const record of records) {
      const job = jobOf(record, deps.settings.inputBucket, logger);
      if (job === undefined) continue;
      try {
        await runJob(job, {
          s3: deps.s3,
          logger,
          settings: deps.settings,
          tmpDir,
          basePath: deps.basePath,
          requestId: context.awsRequestId,
          remainingMs: () => context.getRemainingTimeInMillis(),
          mafft,
        });
      } catch (e) {
        if (e instanceof JobFailure) {
          logJobEvent(logger, {
            jobEvent: "failed",
            errorType: e.errorType,
            errorMessage: e.message,
            inputBucket: job.bucket,
            inputKey: job.key,
          });
        } else {
          const message = `${job.key} could not be processed now; Lambda will retry the event`;
          if (e instanceof Error) logger.error(message, e);
          else logger.error(message, { error: String(e) });
          transient.push(e);
        }
      }
    }
    if (transient.length === 1) throw transient[0];
    if (transient.length > 1)
      throw new AggregateError(transient, `${transient.length} records of this event failed transiently`);
  };
}

/** The job a record asks for, or undefined (with a log line saying why) when it asks for none. */
function jobOf(record: S3EventRecord, inputBucket: string, logger: Logger): JobInput | undefined {
  const name = record?.eventName ?? "";
  if (record?.eventSource !== "aws:s3" || !name.startsWith("ObjectCreated:")) {
    logger.info(`ignored an event record that is not an S3 ObjectCreated (${record?.eventSource ?? "?"} ${name})`);
    return undefined;
  }
  const bucket = record.s3?.bucket?.name ?? "";
  if (bucket !== inputBucket) {
    // The function reads only its own input bucket; anything else is a wiring mistake, not a job.
    logger.warn(`ignored an object of bucket '${bucket}': the aligner reads only '${inputBucket}'`);
    return undefined;
  }
  let key: string;
  try {
    key = decodeEventKey(record.s3.object?.key ?? "");
  } catch (e) {
    if (!(e instanceof EventKeyError)) throw e;
    logJobEvent(logger, {
      jobEvent: "failed",
      errorType: "InvalidInput",
      errorMessage: `${e.message}; rename the object.`,
      inputBucket: bucket,
    });
    return undefined;
  }
  if (key === "" || key.endsWith("/")) {
    logger.info(`ignored '${key}': a folder marker, not a file`);
    return undefined;
  }
  const size = record.s3.object?.size;
  const versionId = record.s3.object?.versionId;
  return {
    bucket,
    key,
    size: typeof size === "number" && Number.isFinite(size) ? size : undefined,
    // The input bucket is versioned: align the version this event is about, not whatever a later
    // upload to the same key has made current.
    ...(typeof versionId === "string" && versionId !== "" ? { versionId } : {}),
  };
}
