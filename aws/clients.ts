/**
 * AWS SDK clients as every part of the project creates them: the functions, the CLI and the local
 * cloud. Endpoints come from the SDK's own configuration (`AWS_ENDPOINT_URL_S3`,
 * `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `AWS_ENDPOINT_URL_SQS`), so the local cloud needs no
 * special code path; the only extra switch is path-style S3 addressing, which s3rver requires.
 * Retries are bounded and use the SDK's adaptive backoff (it also backs off on throttling).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_ENV } from "../core/function-env.ts";

export interface ClientOptions {
  env?: Record<string, string | undefined>;
  region?: string;
  /** Total attempts per call, including the first. */
  maxAttempts?: number;
  /**
   * An explicit endpoint and credentials, for a client that must reach the local cloud from a
   * process whose environment points elsewhere (`aligner ... --local` reads them from
   * `.aligner/local.json`). Without them the SDK's own configuration decides.
   */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const DEFAULT_MAX_ATTEMPTS = 5;

function common(opts: ClientOptions) {
  return {
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: "adaptive" as const,
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
  };
}

export function s3Client(opts: ClientOptions = {}): S3Client {
  const env = opts.env ?? process.env;
  // An explicit endpoint is the local cloud's s3rver, which serves buckets by path only.
  const pathStyle = env[LOCAL_ENV.s3ForcePathStyle] === "true" || opts.endpoint !== undefined;
  return new S3Client({ ...common(opts), forcePathStyle: pathStyle });
}

export function dynamoClient(opts: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(common(opts));
}

export function logsClient(opts: ClientOptions = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient(common(opts));
}

/**
 * SQS (the functions' on-failure destinations). With an explicit endpoint the SDK sends every
 * call there; without one it follows the host of each QueueUrl, as it does in AWS.
 */
export function sqsClient(opts: ClientOptions = {}): SQSClient {
  return new SQSClient(common(opts));
}
