/**
 * What Lambda hands the aligner, for tests and the benchmark: S3 notifications built by the local
 * cloud's own record builder (`local/s3/notifications.ts`, shaped like S3's: keys URL-encoded,
 * one record per object) and a context with the documented fields. No vitest here, so the
 * benchmark can import it.
 */
import type { Context, S3Event } from "aws-lambda";
import { s3EventRecord, Sequencer } from "../../local/s3/notifications.ts";

export interface CreatedObject {
  bucket: string;
  /** The key as stored (the record carries it encoded). */
  key: string;
  size?: number;
  /** Default `ObjectCreated:Put`. */
  eventName?: string;
}

const sequencer = new Sequencer();

export function s3Event(objects: CreatedObject[]): S3Event {
  const at = new Date();
  const Records = objects.map((o) =>
    s3EventRecord(
      {
        bucket: o.bucket,
        key: o.key,
        eventName: o.eventName ?? "ObjectCreated:Put",
        size: o.size ?? 0,
        eTag: "",
        sourceIp: "127.0.0.1",
        at,
      },
      {
        region: "us-east-1",
        configurationId: "aligner",
        principalId: "AWS:EXAMPLE",
        ownerPrincipalId: "EXAMPLE",
        sequencer,
      },
    ),
  );
  return { Records } as S3Event;
}

export function fakeContext(requestId: string, remaining: () => number): Context {
  return {
    awsRequestId: requestId,
    functionName: "lambda-aligner-aligner",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-aligner-aligner",
    memoryLimitInMB: "2048",
    logGroupName: "/aws/lambda/lambda-aligner-aligner",
    logStreamName: "2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: remaining,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
