/**
 * `.aligner/local.json`: written by `aligner dev` when the embedded local cloud is up, read by
 * every other `aligner ... --local` command to find it.
 */
import type { FunctionId } from "./names.ts";

export const LOCAL_STATE_DIR = ".aligner";
export const LOCAL_ENDPOINTS_FILE = "local.json";

export interface LocalEndpoints {
  version: 1;
  /** Process id of `aligner dev`, to tell a stale file from a running cloud. */
  pid: number;
  startedAt: string;
  region: string;
  /** Dummy credentials the local servers accept. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** `sqs` serves the failure queues over the SQS JSON protocol (local/sqs/api.ts). */
  endpoints: { s3: string; dynamodb: string; logs: string; sqs: string };
  resources: {
    inputBucket: string;
    outputBucket: string;
    jobsTable: string;
    alignerFunction: string;
    logProcessorFunction: string;
    alignerLogGroup: string;
    logProcessorLogGroup: string;
  };
  /**
   * Where events whose async retries ran out are kept (the local stand-in for the SQS queues): a
   * folder with one `<queue name>.jsonl` per function (`resourceNames().failureQueues`), each line
   * the record Lambda sends to an on-failure destination. The `sqs` endpoint serves it as SQS
   * queues; `aligner failures --local` reads it directly only when the cloud has stopped.
   */
  failureStore: string;
  /**
   * The queue names the files of `failureStore` are named after (the cloud's own, which another
   * shell's ALIGNER_PREFIX may not give).
   */
  failureQueues: Record<FunctionId, string>;
}

const RESOURCE_KEYS = [
  "inputBucket",
  "outputBucket",
  "jobsTable",
  "alignerFunction",
  "logProcessorFunction",
  "alignerLogGroup",
  "logProcessorLogGroup",
] as const satisfies readonly (keyof LocalEndpoints["resources"])[];

/** Every field the type promises (the commands use them all), so a damaged file is refused at the door. */
export function isLocalEndpoints(value: unknown): value is LocalEndpoints {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<LocalEndpoints>;
  const strings = (o: object | undefined, keys: readonly string[]) =>
    keys.every((k) => typeof (o as Record<string, unknown> | null | undefined)?.[k] === "string");
  return (
    v.version === 1 &&
    typeof v.pid === "number" &&
    typeof v.startedAt === "string" &&
    typeof v.region === "string" &&
    strings(v.credentials, ["accessKeyId", "secretAccessKey"]) &&
    strings(v.endpoints, ["s3", "dynamodb", "logs", "sqs"]) &&
    strings(v.resources, RESOURCE_KEYS) &&
    typeof v.failureStore === "string" &&
    strings(v.failureQueues, ["aligner", "logProcessor"])
  );
}
