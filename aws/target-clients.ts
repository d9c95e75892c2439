/**
 * AWS SDK clients for a resolved target (core/target.ts): the local cloud's endpoints and dummy
 * credentials, or the standard chain for AWS. Created lazily, once each, and destroyed together.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { dynamoClient, logsClient, s3Client, sqsClient, type ClientOptions } from "./clients.ts";
import type { Target } from "../core/target.ts";

export interface TargetClients {
  dynamo(): DynamoDBClient;
  s3(): S3Client;
  logs(): CloudWatchLogsClient;
  sqs(): SQSClient;
  destroy(): void;
}

export function clientsFor(target: Target, opts: { maxAttempts?: number } = {}): TargetClients {
  const base = (service: keyof NonNullable<Target["local"]>["endpoints"]): ClientOptions => ({
    region: target.region,
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    ...(target.local ? { endpoint: target.local.endpoints[service], credentials: target.local.credentials } : {}),
  });
  let d: DynamoDBClient | undefined;
  let s: S3Client | undefined;
  let l: CloudWatchLogsClient | undefined;
  let q: SQSClient | undefined;
  return {
    dynamo: () => (d ??= dynamoClient(base("dynamodb"))),
    s3: () => (s ??= s3Client(base("s3"))),
    logs: () => (l ??= logsClient(base("logs"))),
    sqs: () => (q ??= sqsClient(base("sqs"))),
    destroy() {
      d?.destroy();
      s?.destroy();
      l?.destroy();
      q?.destroy();
    },
  };
}
