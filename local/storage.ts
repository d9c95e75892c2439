/**
 * The local cloud's storage with real protocols: dynalite (the DynamoDB API, on LevelDB in the
 * state folder or in memory) and s3rver (the S3 API, on the file system), both on 127.0.0.1. The
 * jobs table and the buckets are created from the same `core/` definitions as the stack, through
 * the SDK, when they do not exist yet (a restart finds them with their data).
 */
import dynalite from "dynalite";
import S3rver from "s3rver";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { createJobsTableInput } from "../core/jobs-table.ts";

/** Credentials s3rver checks signatures against (its built-in account); dynalite accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
export const LOCAL_HOST = "127.0.0.1";

export interface RunningServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function startDynalite(opts: { dir: string | undefined; port: number }): Promise<RunningServer> {
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  const server: Server = dynalite({
    ...(opts.dir ? { path: opts.dir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) =>
    server.once("error", reject).listen(opts.port, LOCAL_HOST, () => resolve()),
  );
  return {
    endpoint: `http://${LOCAL_HOST}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        // dynalite closes its LevelDB when the server closes.
        server.close(() => resolve());
      }),
  };
}

/** s3rver, with `prepare` run on the instance before it listens (the notification bridge wraps its handler). */
export async function startS3rver(opts: {
  dir: string;
  port: number;
  prepare?: (s3rver: S3rver) => void;
}): Promise<RunningServer> {
  mkdirSync(opts.dir, { recursive: true });
  const s3rver = new S3rver({
    address: LOCAL_HOST,
    port: opts.port,
    silent: true,
    directory: opts.dir,
    vhostBuckets: false,
  });
  opts.prepare?.(s3rver);
  const address = await s3rver.run();
  return {
    endpoint: `http://${LOCAL_HOST}:${address.port}`,
    close: () => s3rver.close(),
  };
}

export async function ensureJobsTable(client: DynamoDBClient, tableName: string): Promise<"created" | "existing"> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return "existing";
  } catch (err) {
    if ((err as Error).name !== "ResourceNotFoundException") throw err;
  }
  try {
    await client.send(new CreateTableCommand(createJobsTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
    return "existing";
  }
  // dynalite creates at once (createTableMs: 0); wait for ACTIVE anyway, as against AWS.
  for (let i = 0; i < 100; i++) {
    const t = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (t.Table?.TableStatus === "ACTIVE") return "created";
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the local jobs table ${tableName} did not become ACTIVE`);
}

export async function ensureBucket(client: S3Client, bucket: string): Promise<"created" | "existing"> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return "existing";
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404 && (err as Error).name !== "NotFound" && (err as Error).name !== "NoSuchBucket") throw err;
  }
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return "created";
}
