/** An in-process dynalite (the DynamoDB wire protocol) on a free port, for tests and benchmarks. */
import dynalite from "dynalite";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { createJobsTableInput, JOB_PK_PREFIX } from "../../core/jobs-table.ts";

export interface LocalDynamo {
  endpoint: string;
  /** `fastRetries`: the SDK's retry strategy with millisecond backoff, for fault-injection tests. */
  client(opts?: { maxAttempts?: number; fastRetries?: boolean }): DynamoDBClient;
  createJobsTable(name: string): Promise<void>;
  /** Every item of a table (tests only: the product never scans). */
  scanAll(table: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = (opts: { maxAttempts?: number; fastRetries?: boolean } = {}) => {
    const maxAttempts = opts.maxAttempts ?? 5;
    const c = new DynamoDBClient({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      ...(opts.fastRetries ? { retryStrategy: new ConfiguredRetryStrategy(maxAttempts, (attempt) => 2 * attempt) } : { maxAttempts }),
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
        const res = await admin.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
        out.push(...(res.Items ?? []).map((i) => unmarshall(i)));
        start = res.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start);
      return out;
    },
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const isJobItem = (item: Record<string, unknown>) => String(item["pk"]).startsWith(JOB_PK_PREFIX);
