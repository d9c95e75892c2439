/**
 * An in-process s3rver (the S3 REST API on the file system) on a free port of 127.0.0.1, for tests
 * and benchmarks: start it with some buckets, get SDK clients (path-style, as s3rver needs), close.
 */
import S3rver from "s3rver";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";

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

export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export async function startS3rver(buckets: string[]): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), "s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  let address: Awaited<ReturnType<S3rver["run"]>>;
  try {
    address = await server.run();
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    directory,
    client(opts = {}) {
      const c = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: LOCAL_CREDENTIALS, maxAttempts: opts.maxAttempts ?? 2 });
      clients.push(c);
      return c;
    },
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
