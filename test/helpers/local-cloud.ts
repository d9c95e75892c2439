/**
 * The embedded local cloud for end-to-end tests: started with test-friendly settings (defaults
 * of core/config.ts, not the developer's environment; short log batching window; retry delays
 * divided), with SDK clients from aws/clients.ts pointed at it and a few readers that go
 * through the SDK only.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ScanCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { resolveConfig } from "../../core/config.ts";
import { JOB_PK_PREFIX, type JobRecord } from "../../core/jobs-table.ts";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { OfflineStatus } from "../../core/status/offline.ts";
import { encodeEventKey } from "../../core/s3-event-key.ts";
import { dynamoClient, logsClient, s3Client } from "../../aws/clients.ts";
import { recordFromItem } from "../../aws/dynamo/status-store.ts";
import type { SourceEvent } from "../../core/status/reconcile.ts";
import { filterLogEvents } from "../../aws/logs/filter-log-events.ts";
import {
  mergeOverrides,
  startLocalCloud,
  type CloudEvent,
  type ConfigOverrides,
  type LocalCloud,
  type LocalCloudOptions,
} from "../../local/cloud.ts";

export const SAMPLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "data", "mafft-sample");
export const sample = (file: string): Buffer => readFileSync(path.join(SAMPLE_DIR, file));

export const TEST_OVERRIDES: ConfigOverrides = {
  local: { logFlushMs: 50, retryDelayDivisor: 600, idleTimeoutSeconds: 120, concurrency: 3 },
};

export interface TestCloud {
  cloud: LocalCloud;
  s3: S3Client;
  dynamo: DynamoDBClient;
  logs: CloudWatchLogsClient;
  /** Every event the cloud reported, in order. */
  events: CloudEvent[];
  upload(key: string, body: string | Buffer, metadata?: Record<string, string>): Promise<void>;
  /** Every job record (a Scan: tests only; the product never scans). */
  jobs(): Promise<JobRecord[]>;
  jobFor(inputKey: string): Promise<JobRecord | undefined>;
  /** The request id S3's notification of `key` started (jobs that failed early have no inputKey). */
  requestIdFor(key: string): string;
  job(requestId: string): Promise<JobRecord | undefined>;
  output(key: string): Promise<string | undefined>;
  outputKeys(): Promise<string[]>;
  /** The aligner's log group, read back through FilterLogEvents. */
  logEvents(): Promise<SourceEvent[]>;
  /** The records the log processor's own path derives from the whole log group, read through the API. */
  offlineRecords(): Promise<Map<string, JobRecord>>;
  close(): Promise<void>;
}

export async function startTestCloud(opts: LocalCloudOptions = {}): Promise<TestCloud> {
  const events: CloudEvent[] = [];
  const cloud = await startLocalCloud({
    ephemeral: opts.stateDir === undefined,
    config: resolveConfig({ env: {} }),
    memorySampleMs: 50,
    ...opts,
    overrides: mergeOverrides(TEST_OVERRIDES, opts.overrides ?? {}),
    onEvent: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
  });
  const s3 = s3Client(cloud.clientOptions("s3"));
  const dynamo = dynamoClient(cloud.clientOptions("dynamodb"));
  const logs = logsClient(cloud.clientOptions("logs"));
  const { names } = cloud;

  const jobs = async (): Promise<JobRecord[]> => {
    const out: JobRecord[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await dynamo.send(
        new ScanCommand({ TableName: names.jobsTable, ExclusiveStartKey: start, ConsistentRead: true }),
      );
      for (const item of page.Items ?? []) {
        const v = unmarshall(item);
        if (String(v["pk"]).startsWith(JOB_PK_PREFIX)) out.push(recordFromItem(v));
      }
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return out;
  };
  const logEvents = async () => {
    const out: SourceEvent[] = [];
    for await (const e of filterLogEvents(logs, { logGroup: names.logGroups.aligner, startTime: 0 })) out.push(e);
    return out;
  };

  return {
    cloud,
    s3,
    dynamo,
    logs,
    events,
    async upload(key, body, metadata) {
      await s3.send(
        new PutObjectCommand({
          Bucket: names.inputBucket,
          Key: key,
          Body: body,
          ...(metadata ? { Metadata: metadata } : {}),
        }),
      );
    },
    jobs,
    async jobFor(inputKey) {
      return (await jobs()).find((j) => j.inputKey === inputKey);
    },
    requestIdFor(key) {
      const encoded = encodeEventKey(key);
      const ids = events.flatMap((e) => (e.type === "notification" && e.key === encoded ? [e.requestId] : []));
      if (ids.length !== 1) throw new Error(`${ids.length} notifications for ${key}`);
      return ids[0]!;
    },
    async job(requestId) {
      return (await jobs()).find((j) => j.requestId === requestId);
    },
    async output(key) {
      try {
        const res = await s3.send(new GetObjectCommand({ Bucket: names.outputBucket, Key: key }));
        return await res.Body!.transformToString();
      } catch (err) {
        if ((err as Error).name === "NoSuchKey") return undefined;
        throw err;
      }
    },
    async outputKeys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: names.outputBucket, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys;
    },
    logEvents,
    async offlineRecords() {
      const byStream = new Map<string, SubscriptionMessage>();
      for (const e of await logEvents()) {
        let m = byStream.get(e.logStream);
        if (!m)
          byStream.set(
            e.logStream,
            (m = {
              messageType: "DATA_MESSAGE",
              owner: "",
              logGroup: names.logGroups.aligner,
              logStream: e.logStream,
              subscriptionFilters: [],
              logEvents: [],
            }),
          );
        m.logEvents.push({ id: e.id, timestamp: e.timestamp, message: e.message });
      }
      const offline = new OfflineStatus();
      await offline.apply([...byStream.values()]);
      return new Map(offline.records().map((r) => [r.requestId, r]));
    },
    async close() {
      s3.destroy();
      dynamo.destroy();
      logs.destroy();
      await cloud.stop();
    },
  };
}

/** A record without its bookkeeping (`updatedAt`), to compare what two paths derived. */
export function withoutBookkeeping(r: JobRecord | undefined): Omit<JobRecord, "updatedAt"> | undefined {
  if (!r) return undefined;
  const { updatedAt: _ignored, ...rest } = r;
  return rest;
}
