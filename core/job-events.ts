/**
 * The aligner's job events: the structured log lines (Powertools Logger, one JSON object per
 * line, carrying `function_request_id`) that tell the log processor what the job did, beyond what
 * Lambda's platform lines say. The aligner writes them with `jobEventFields(...)`, the log parser
 * reads them back with `readJobEvent(...)`.
 */

/** The key that marks a log line as a job event. */
export const JOB_EVENT_KEY = "jobEvent";

export const JOB_ERROR_TYPES = [
  "InvalidInput",
  "InvalidArguments",
  "InputTooLarge",
  "NoSuchKey",
  "MafftFailed",
  "MafftTimeout",
] as const;
export type JobErrorType = (typeof JOB_ERROR_TYPES)[number];

export type JobEvent =
  | {
      jobEvent: "accepted";
      inputBucket: string;
      inputKey: string;
      inputBytes: number;
      sequences: number;
      mafftArgs: string;
    }
  | {
      jobEvent: "succeeded";
      outputBucket: string;
      outputKey: string;
      mafftDurationMs: number;
    }
  | {
      jobEvent: "failed";
      errorType: JobErrorType;
      errorMessage: string;
      inputBucket?: string;
      inputKey?: string;
    };

export type JobEventKind = JobEvent["jobEvent"];

/** A job event's log fields: flat strings and numbers, `jobEvent` first, absent fields left out. */
export type JobEventFields = Record<string, string | number>;

/**
 * The writer side: the fields the aligner appends to a Powertools log item (next to `message`,
 * `level` and `function_request_id`). `readJobEvent(jobEventFields(e))` gives `e` back.
 */
export function jobEventFields(event: JobEvent): JobEventFields {
  const out: JobEventFields = {};
  for (const [k, v] of Object.entries(event)) {
    if (typeof v === "string" || typeof v === "number") out[k] = v;
  }
  return out;
}

/** The `message` of a job event's log line. */
export function jobEventMessage(event: JobEvent): string {
  return event.jobEvent === "failed" ? `job failed: ${event.errorMessage}` : `job ${event.jobEvent}`;
}

function stringAt(obj: Record<string, unknown>, k: string): string | undefined {
  const v = obj[k];
  return typeof v === "string" ? v : undefined;
}

function numberAt(obj: Record<string, unknown>, k: string): number | undefined {
  const v = obj[k];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Reads a job event out of a parsed JSON log object; undefined if it is not one (or malformed). */
export function readJobEvent(obj: Record<string, unknown>): JobEvent | undefined {
  const kind = obj[JOB_EVENT_KEY];
  // Module-level readers, not closures: this runs for every job event the processor sees.
  switch (kind) {
    case "accepted": {
      const inputBucket = stringAt(obj, "inputBucket");
      const inputKey = stringAt(obj, "inputKey");
      const inputBytes = numberAt(obj, "inputBytes");
      const sequences = numberAt(obj, "sequences");
      if (inputBucket === undefined || inputKey === undefined || inputBytes === undefined || sequences === undefined)
        return undefined;
      return {
        jobEvent: "accepted",
        inputBucket,
        inputKey,
        inputBytes,
        sequences,
        mafftArgs: stringAt(obj, "mafftArgs") ?? "",
      };
    }
    case "succeeded": {
      const outputBucket = stringAt(obj, "outputBucket");
      const outputKey = stringAt(obj, "outputKey");
      const mafftDurationMs = numberAt(obj, "mafftDurationMs");
      if (outputBucket === undefined || outputKey === undefined || mafftDurationMs === undefined) return undefined;
      return { jobEvent: "succeeded", outputBucket, outputKey, mafftDurationMs };
    }
    case "failed": {
      const errorType = stringAt(obj, "errorType");
      const errorMessage = stringAt(obj, "errorMessage");
      if (
        errorType === undefined ||
        !(JOB_ERROR_TYPES as readonly string[]).includes(errorType) ||
        errorMessage === undefined
      )
        return undefined;
      const ev: JobEvent = { jobEvent: "failed", errorType: errorType as JobErrorType, errorMessage };
      const inputBucket = stringAt(obj, "inputBucket");
      const inputKey = stringAt(obj, "inputKey");
      if (inputBucket !== undefined) ev.inputBucket = inputBucket;
      if (inputKey !== undefined) ev.inputKey = inputKey;
      return ev;
    }
    default:
      return undefined;
  }
}
