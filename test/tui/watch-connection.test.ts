/**
 * tui/watch-connection.ts over two real DynamoDB endpoints (dynalite), the second standing for a
 * local cloud restarted on a new port with the same table: after a failed read the connection
 * asks where the target is, moves there, carries the activity feed on from its cursor (jobs
 * written since are read, those already shown are not read again) and brings one notice. A
 * target that has not moved leaves the failure as it was.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LocalEndpoints } from "../../core/local-endpoints.ts";
import { targetFromLocalEndpoints, type Target } from "../../core/target.ts";
import { WatchConnection } from "../../tui/watch-connection.ts";
import { startDynalite, type LocalDynamo } from "../helpers/dynalite.ts";
import { generateJobs, writeJobs } from "../helpers/job-records.ts";
import { LOCAL_CREDENTIALS } from "../helpers/s3rver.ts";

const TABLE = "jobs";
const open: LocalDynamo[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close().catch(() => undefined);
});

async function cloud(pid: number): Promise<{ db: LocalDynamo; target: Target }> {
  const db = await startDynalite();
  open.push(db);
  await db.createJobsTable(TABLE);
  const endpoints: LocalEndpoints = {
    version: 1,
    pid,
    startedAt: new Date().toISOString(),
    region: "us-east-1",
    credentials: { ...LOCAL_CREDENTIALS },
    endpoints: {
      dynamodb: db.endpoint,
      s3: "http://127.0.0.1:1",
      logs: "http://127.0.0.1:1",
      sqs: "http://127.0.0.1:1",
    },
    resources: {
      inputBucket: "in",
      outputBucket: "out",
      jobsTable: TABLE,
      alignerFunction: "a",
      logProcessorFunction: "p",
      alignerLogGroup: "/aws/lambda/a",
      logProcessorLogGroup: "/aws/lambda/p",
    },
    failureStore: "/nonexistent",
    failureQueues: { aligner: "a-failures", logProcessor: "p-failures" },
  };
  return { db, target: targetFromLocalEndpoints(endpoints) };
}

// RUNNING: last written when they started (a finished job is stamped at its end, later).
const jobsAt = (ms: number, seed: number) => generateJobs(1, { newestMs: ms, seed, mix: { RUNNING: 1 } });

describe("WatchConnection", () => {
  it("follows a restarted cloud: new endpoint, the feed carried on from its cursor, one notice", async () => {
    const first = await cloud(100);
    const second = await cloud(200);
    const before = jobsAt(Date.now() - 5000, 1);
    // The restarted cloud keeps the table's data: the same job is in both.
    await writeJobs(first.db.client(), TABLE, before);
    await writeJobs(second.db.client(), TABLE, before);
    let where: Target | undefined = first.target;
    const conn = new WatchConnection(first.target, { settleMs: 0, locate: () => where });
    const source = conn.source(String);
    try {
      const loaded = await source.load(Date.now() - 3_600_000, 100);
      expect(loaded.rows.map((r) => r.record.requestId)).toEqual([before[0]!.record.requestId]);
      expect(loaded.notice).toBeUndefined();

      await first.db.close();
      where = second.target;
      // Written after the first cloud's last read (the cursor), before the next read.
      await new Promise((r) => setTimeout(r, 1500));
      const after = jobsAt(Date.now() - 1200, 2);
      await writeJobs(second.db.client(), TABLE, after);

      const changed = await source.changes();
      expect(changed.rows.map((r) => r.record.requestId)).toEqual([after[0]!.record.requestId]);
      expect(changed.notice).toBe(
        `the local cloud restarted (pid 200, DynamoDB at ${second.db.endpoint}); reading from it again`,
      );
      expect(conn.target).toBe(second.target);
      expect((await source.changes()).notice).toBeUndefined();
    } finally {
      conn.destroy();
    }
  }, 60_000);

  it("leaves a failure as it was when the target has not moved (or is nowhere)", async () => {
    const only = await cloud(300);
    let where: Target | undefined = only.target;
    const conn = new WatchConnection(only.target, { settleMs: 0, locate: () => where });
    const source = conn.source(String);
    try {
      await source.load(Date.now() - 60_000, 10);
      await only.db.close();
      await expect(source.changes()).rejects.toThrow();
      where = undefined;
      await expect(source.changes()).rejects.toThrow();
      expect(conn.target).toBe(only.target);
      expect(conn.follow()).toBe(false);
    } finally {
      conn.destroy();
    }
  }, 60_000);
});
