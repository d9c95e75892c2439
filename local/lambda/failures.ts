/**
 * The on-failure destination of asynchronous invocations, kept locally: one JSON-lines file per
 * function, named after the SQS queue the stack creates for it (`<function>-failures`). Each line
 * is the record Lambda sends to a destination (`version`, `timestamp`, `requestContext` with
 * `condition` RetriesExhausted or EventAgeExceeded and `approximateInvokeCount`,
 * `requestPayload`, `responseContext`, `responsePayload`), as the message body SQS would hold.
 * `aligner failures --local` reads them.
 */
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { appendJsonLines, endTornLine, readJsonLines } from "../journal.ts";
import type { InvokeErrorPayload } from "./protocol.ts";

export type FailureCondition = "RetriesExhausted" | "EventAgeExceeded";

export interface DestinationRecord {
  version: "1.0";
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext?: { statusCode: number; executedVersion: string; functionError: "Unhandled" };
  responsePayload?: { errorType: string; errorMessage: string; trace?: string[] };
}

export function destinationRecord(r: {
  requestId: string;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  payload: unknown;
  lastError: InvokeErrorPayload | undefined;
  at?: Date;
}): DestinationRecord {
  const out: DestinationRecord = {
    version: "1.0",
    timestamp: (r.at ?? new Date()).toISOString(),
    requestContext: {
      requestId: r.requestId,
      functionArn: `${r.functionArn}:$LATEST`,
      condition: r.condition,
      approximateInvokeCount: r.invokeCount,
    },
    requestPayload: r.payload,
  };
  if (r.lastError) {
    out.responseContext = { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" };
    out.responsePayload = {
      errorType: r.lastError.errorType,
      errorMessage: r.lastError.errorMessage,
      ...(r.lastError.trace.length ? { trace: r.lastError.trace } : {}),
    };
  }
  return out;
}

export class FailureStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.endsWith(".jsonl")) endTornLine(path.join(dir, f));
  }

  fileFor(queueName: string): string {
    return failureFile(this.dir, queueName);
  }

  put(queueName: string, record: DestinationRecord): void {
    appendJsonLines(this.fileFor(queueName), [record]);
  }

  read(queueName: string): DestinationRecord[] {
    return readFailures(this.fileFor(queueName));
  }
}

/** The file of a store folder that holds one queue's records. */
export function failureFile(dir: string, queueName: string): string {
  return path.join(dir, `${queueName}.jsonl`);
}

export function readFailures(file: string): DestinationRecord[] {
  return readJsonLines<DestinationRecord>(file).filter((r) => typeof r?.requestContext?.requestId === "string");
}
