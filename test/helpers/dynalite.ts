/** An in-process dynalite (the DynamoDB wire protocol) on a free port, for tests and benchmarks. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { createJobsTableInput, JOB_PK_PREFIX } from "../../core/jobs-table.ts";
import { LOCAL_CREDENTIALS, startDynalite as startLocalDynalite } from "../../local/storage.ts";

export interface LocalDynamo {
  endpoint: string;
  /** `fastRetries`: the SDK's retry strategy with millisecond backoff, for fault-injection tests. */
  client(opts?: { maxAttempts?: number; fastRetries?: boolean }): DynamoDBClient;
  createJobsTable(name: string): Promise<void>;
  /** Every item of a table (tests only: the product never scans). */
  scanAll(table: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/**
 * The local cloud's own dynalite start (local/storage.ts) on a free port. In memory by default;
 * `onDisk` puts it on LevelDB in a temporary folder (removed by close), for the benchmarks'
 * 100,000-job tables.
 */
export async function startDynalite(opts: { onDisk?: boolean } = {}): Promise<LocalDynamo> {
  const dir = opts.onDisk ? mkdtempSync(path.join(tmpdir(), "aligner-dynalite-")) : undefined;
  const server = await startLocalDynalite({ dir, port: 0 });
  const endpoint = server.endpoint;
  const clients: DynamoDBClient[] = [];
  const client = (opts: { maxAttempts?: number; fastRetries?: boolean } = {}) => {
    const maxAttempts = opts.maxAttempts ?? 5;
    const c = new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: { ...LOCAL_CREDENTIALS },
      ...(opts.fastRetries
        ? { retryStrategy: new ConfiguredRetryStrategy(maxAttempts, (attempt) => 2 * attempt) }
        : { maxAttempts }),
    });
    clients.push(c);
    return c;
  };
  const admin = client();
  return {
    endpoint,
    client,
    async createJobsTable(name) {
      await admin.send(new CreateTableCommand(createJobsTableInput(name)));
    },
    async scanAll(table) {
      const out: Record<string, unknown>[] = [];
      let start: Record<string, never> | undefined;
      do {
        const res = await admin.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        out.push(...(res.Items ?? []).map((i) => unmarshall(i)));
        start = res.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start);
      return out;
    },
    async close() {
      for (const c of clients) c.destroy();
      await server.close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const isJobItem = (item: Record<string, unknown>) => String(item["pk"]).startsWith(JOB_PK_PREFIX);
