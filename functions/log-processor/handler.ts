/**
 * The log processor: receives the aligner's log events from the CloudWatch Logs subscription,
 * and records per-request status in the jobs table.
 *
 * - A payload that cannot be decoded is logged with the reason and dropped (returning normally):
 *   retrying it would fail the same way. `aligner reconcile` can rebuild from the log group.
 * - A DynamoDB failure (after the SDK's own retries) fails the invocation, so Lambda's async
 *   retry redelivers the payload; every write is idempotent, so redelivery is safe.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { resolveConfig } from "../../core/config.ts";
import { RESOURCE_ENV, requireEnv } from "../../core/function-env.ts";
import { FUNCTION_SOURCES } from "../../core/names.ts";
import { decodeAwslogsData, PayloadError } from "../../core/logs/payload.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import { applyReduction } from "../../core/status/apply.ts";
import { dynamoClient } from "../../aws/clients.ts";
import { DynamoStatusStore } from "../../aws/dynamo/status-store.ts";

const logger = new Logger({ serviceName: FUNCTION_SOURCES.logProcessor.serviceName });

export interface ProcessorResult {
  outcome: "processed" | "skipped" | "rejected";
  reason?: string;
  logStream?: string;
  records?: number;
  requests?: number;
  writes?: number;
}

interface Runtime {
  store: DynamoStatusStore;
  writes: { job: number; index: number };
  recordTtlDays: number;
  writeConcurrency: number;
}

let runtime: Runtime | undefined;

/** Built on first use (not at import) so a configuration error reads as a failed invocation with a clear message. */
function getRuntime(): Runtime {
  if (!runtime) {
    const config = resolveConfig({ env: process.env });
    const writes = { job: 0, index: 0 };
    const store = new DynamoStatusStore(dynamoClient(), requireEnv(process.env, RESOURCE_ENV.jobsTable), {
      onWrite: (kind) => writes[kind]++,
    });
    runtime = {
      store,
      writes,
      recordTtlDays: config.recordTtlDays,
      writeConcurrency: config.processor.writeConcurrency,
    };
  }
  return runtime;
}

function awslogsData(event: unknown): string {
  const data = (event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  if (typeof data !== "string") throw new PayloadError("event has no awslogs.data string");
  return data;
}

export const handler = async (event: unknown, context: Context): Promise<ProcessorResult> => {
  logger.addContext(context);
  const started = performance.now();
  let message: ReturnType<typeof decodeAwslogsData>;
  try {
    message = decodeAwslogsData(awslogsData(event));
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    logger.error("payload rejected", { reason: err.message });
    return { outcome: "rejected", reason: err.message };
  }
  if (message.messageType === "CONTROL_MESSAGE") {
    logger.info("control message skipped");
    return { outcome: "skipped" };
  }

  const rt = getRuntime();
  const before = { ...rt.writes };
  const reduction = reducePayload(message);
  const stats = await applyReduction(rt.store, reduction, {
    recordTtlDays: rt.recordTtlDays,
    writeConcurrency: rt.writeConcurrency,
  });
  const writes = rt.writes.job - before.job + (rt.writes.index - before.index);
  logger.info("payload processed", {
    logGroup: message.logGroup,
    logStream: message.logStream,
    requestsTouched: stats.requests,
    records: stats.events,
    writes,
    jobWrites: stats.jobWrites,
    indexWrites: stats.indexWrites,
    unchanged: stats.unchanged,
    conflicts: stats.conflicts,
    ms: Math.round(performance.now() - started),
  });
  return {
    outcome: "processed",
    logStream: message.logStream,
    records: stats.events,
    requests: stats.requests,
    writes,
  };
};
