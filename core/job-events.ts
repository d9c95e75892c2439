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

/** Reads a job event out of a parsed JSON log object; undefined if it is not one (or malformed). */
export function readJobEvent(obj: Record<string, unknown>): JobEvent | undefined {
  const kind = obj[JOB_EVENT_KEY];
  const str = (k: string) => (typeof obj[k] === "string" ? (obj[k] as string) : undefined);
  const num = (k: string) => (typeof obj[k] === "number" && Number.isFinite(obj[k]) ? (obj[k] as number) : undefined);
  switch (kind) {
    case "accepted": {
      const inputBucket = str("inputBucket");
      const inputKey = str("inputKey");
      const inputBytes = num("inputBytes");
      const sequences = num("sequences");
      if (inputBucket === undefined || inputKey === undefined || inputBytes === undefined || sequences === undefined) return undefined;
      return { jobEvent: "accepted", inputBucket, inputKey, inputBytes, sequences, mafftArgs: str("mafftArgs") ?? "" };
    }
    case "succeeded": {
      const outputBucket = str("outputBucket");
      const outputKey = str("outputKey");
      const mafftDurationMs = num("mafftDurationMs");
      if (outputBucket === undefined || outputKey === undefined || mafftDurationMs === undefined) return undefined;
      return { jobEvent: "succeeded", outputBucket, outputKey, mafftDurationMs };
    }
    case "failed": {
      const errorType = str("errorType");
      const errorMessage = str("errorMessage");
      if (errorType === undefined || !(JOB_ERROR_TYPES as readonly string[]).includes(errorType) || errorMessage === undefined) return undefined;
      const ev: JobEvent = { jobEvent: "failed", errorType: errorType as JobErrorType, errorMessage };
      const inputBucket = str("inputBucket");
      const inputKey = str("inputKey");
      if (inputBucket !== undefined) ev.inputBucket = inputBucket;
      if (inputKey !== undefined) ev.inputKey = inputKey;
      return ev;
    }
    default:
      return undefined;
  }
}
