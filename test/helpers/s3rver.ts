/**
 * An in-process s3rver (the S3 REST API on the file system) on a free port of 127.0.0.1, for tests
 * and benchmarks: start it with some buckets, get SDK clients (path-style, as s3rver needs), close.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import {
  ensureBucket,
  LOCAL_CREDENTIALS,
  startS3rver as startLocalS3rver,
  type RunningServer,
} from "../../local/storage.ts";

export interface LocalS3 {
  endpoint: string;
  /** Data directory (removed by close). */
  directory: string;
  /** A client for this server; `maxAttempts` defaults to 2 (tests should fail fast). */
  client(opts?: { maxAttempts?: number }): S3Client;
  /** The variables that point the project's `s3Client()` (and the SDK) at this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export { LOCAL_CREDENTIALS };

/** The local cloud's own s3rver start (local/storage.ts) on a free port, with these buckets. */
export async function startS3rver(buckets: string[]): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), "s3rver-"));
  let server: RunningServer;
  try {
    server = await startLocalS3rver({ dir: directory, port: 0 });
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = server.endpoint;
  const clients: S3Client[] = [];
  const client = (opts: { maxAttempts?: number } = {}) => {
    const c = new S3Client({
      endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { ...LOCAL_CREDENTIALS },
      maxAttempts: opts.maxAttempts ?? 2,
    });
    clients.push(c);
    return c;
  };
  const admin = client();
  try {
    for (const bucket of buckets) await ensureBucket(admin, bucket);
  } catch (e) {
    admin.destroy();
    await server.close();
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoint,
    directory,
    client,
    env() {
      return {
        AWS_ENDPOINT_URL_S3: endpoint,
        ALIGNER_S3_FORCE_PATH_STYLE: "true",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      };
    },
    async close() {
      for (const c of clients) c.destroy();
      try {
        await server.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
