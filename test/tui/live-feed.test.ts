/**
 * The live view's reads against dynalite: the first load, then each refresh reads exactly the
 * records written since the previous one (a Query per activity shard, never a Scan); late
 * writes of RUNNING jobs are caught by the re-read; the server's clock, not ours, bounds reads.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { INDEX_SHARDS } from "../../core/jobs-table.ts";
import { JobsReader } from "../../aws/dynamo/jobs-reader.ts";
import { ActivityFeed } from "../../aws/dynamo/activity-feed.ts";
import { serverClock } from "../../aws/dynamo/server-clock.ts";
import { LiveJobs } from "../../tui/live-jobs.ts";
import { startDynalite, type LocalDynamo } from "../helpers/dynalite.ts";
import { generateJobs, updateJob, writeJobs, type GeneratedJob } from "../helpers/job-records.ts";

let db: LocalDynamo;
const TABLE = "live-jobs";
const T0 = Date.parse("2026-11-24T12:00:00Z");
let jobs: GeneratedJob[];

/** Records the name of every command a client sends. */
function commandLog(client: DynamoDBClient): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "testCommandLog" },
  );
  return names;
}

beforeAll(async () => {
  db = await startDynalite();
  await db.createJobsTable(TABLE);
  // 500 jobs, one every 5 s before T0; each record last written when it ended.
  jobs = generateJobs(500, { newestMs: T0 - 10_000, spacingMs: 5_000, seed: 5 });
  await writeJobs(db.client(), TABLE, jobs);
});
afterAll(async () => {
  await db.close();
});

describe("activity feed", () => {
  it("loads the most recently written jobs, then reads only what each refresh window saw written", async () => {
    const client = db.client();
    const writer = db.client();
    const commands = commandLog(client);
    let now = T0;
    const reader = new JobsReader(client, TABLE);
    const feed = new ActivityFeed(reader, { settleMs: 1000, clock: { now: () => now } });
    const first = await feed.load(T0 - 3_600_000, 100);
    expect(first.rows).toHaveLength(100);
    const newestWritten = [...jobs].sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, 100);
    expect(new Set(first.rows.map((r) => r.record.requestId))).toEqual(
      new Set(newestWritten.map((j) => j.record.requestId)),
    );
    // A lazily merged read: little more than it returns, plus one page boundary per shard.
    expect(first.itemsRead).toBeLessThanOrEqual(100 + 2 * INDEX_SHARDS);

    for (let tick = 1; tick <= 5; tick++) {
      // 10 writes stamped during the second the next refresh covers (it ends 1 s settle before "now").
      const changed: string[] = [];
      for (let k = 0; k < 10; k++) {
        const j = jobs[(tick * 37 + k * 11) % jobs.length]!;
        const stamp = new Date(now - 990 + k * 90).toISOString();
        jobs[jobs.indexOf(j)] = await updateJob(
          writer,
          TABLE,
          j,
          { status: "SUCCEEDED", durationMs: 1000 + tick },
          stamp,
        );
        changed.push(j.record.requestId);
      }
      now += 1000;
      const read = await feed.changes();
      expect(read.rows.map((r) => r.record.requestId).sort()).toEqual([...new Set(changed)].sort());
      expect(read.itemsRead).toBe(new Set(changed).size);
      expect(read.queries).toBe(INDEX_SHARDS);
      expect(read.rows.every((r) => r.record.durationMs === 1000 + tick)).toBe(true);
    }
    // Nothing new: one empty Query per shard.
    now += 1000;
    expect(await feed.changes()).toMatchObject({ rows: [], itemsRead: 0, queries: INDEX_SHARDS });
    expect(new Set(commands)).toEqual(new Set(["QueryCommand"]));
  });

  it("does not read writes younger than the settle time until they are settled", async () => {
    const client = db.client();
    let now = T0 + 100_000;
    const feed = new ActivityFeed(new JobsReader(client, TABLE), { settleMs: 2000, clock: { now: () => now } });
    await feed.load(T0, 10);
    const j = jobs[7]!;
    jobs[7] = await updateJob(
      client,
      TABLE,
      j,
      { status: "FAILED", errorType: "InvalidInput" },
      new Date(now - 500).toISOString(),
    );
    expect((await feed.changes()).rows).toHaveLength(0);
    now += 2000;
    expect((await feed.changes()).rows.map((r) => r.record.status)).toEqual(["FAILED"]);
    now += 2000;
    expect((await feed.changes()).rows).toHaveLength(0);
  });

  it("does not skip writes when the clock ran ahead until the first read corrected it", async () => {
    const client = db.client();
    let now = T0 + 400_000;
    // As serverClock does: our clock 60 s ahead until the first response brings the server's time.
    let offset = 60_000;
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        offset = 0;
        return result;
      },
      { step: "build", name: "testClockCalibration" },
    );
    const feed = new ActivityFeed(new JobsReader(client, TABLE), {
      settleMs: 1000,
      clock: { now: () => now + offset },
    });
    await feed.load(T0, 10);
    // The processor's write just after the load, stamped by the server's clock.
    jobs[30] = await updateJob(
      client,
      TABLE,
      jobs[30]!,
      { status: "FAILED", errorType: "InvalidInput" },
      new Date(now - 500).toISOString(),
    );
    now += 1000;
    expect((await feed.changes()).rows.map((r) => r.record.requestId)).toEqual([jobs[30]!.record.requestId]);
  });

  it("catches a RUNNING job's late write by re-reading it once it has been quiet for staleMs", async () => {
    const client = db.client();
    let now = T0 + 200_000;
    const reader = new JobsReader(client, TABLE);
    const feed = new ActivityFeed(reader, { settleMs: 1000, clock: { now: () => now } });
    const running = await updateJob(
      client,
      TABLE,
      jobs[20]!,
      { status: "RUNNING" },
      new Date(now - 5000).toISOString(),
    );
    const live = new LiveJobs(
      {
        load: (s, m) => feed.load(s, m),
        changes: () => feed.changes(),
        reread: (ids) => reader.getJobs(ids),
        describeError: String,
      },
      { sinceMs: T0, maxJobs: 1000, refreshMs: 1000, staleMs: 30_000, now: () => now },
    );
    expect(await live.refreshOnce()).toBe(true);
    expect(live.list.get(running.record.requestId)!.record.status).toBe("RUNNING");
    // The processor's write lands late: stamped before what the feed has already covered.
    await updateJob(client, TABLE, running, { status: "SUCCEEDED" }, new Date(now - 3000).toISOString());
    now += 1000;
    await live.refreshOnce();
    expect(live.list.get(running.record.requestId)!.record.status).toBe("RUNNING");
    now += 30_000;
    await live.refreshOnce();
    expect(live.list.get(running.record.requestId)!.record.status).toBe("SUCCEEDED");
  });

  it("re-reads quiet RUNNING jobs at most once per staleMs, and never those abandoned longer than any invocation", async () => {
    let now = T0;
    const iso = (ms: number) => new Date(ms).toISOString();
    const row = (id: string, updatedMs: number) => ({
      record: { requestId: id, status: "RUNNING" as const, attempts: 1 },
      sortKey: `${iso(updatedMs)}#${id}`,
      updatedKey: `${iso(updatedMs)}#${id}`,
    });
    const rereads: string[][] = [];
    const live = new LiveJobs(
      {
        load: async () => ({
          rows: [row("quiet", T0 - 2 * 60_000), row("fresh", T0 - 1000), row("abandoned", T0 - 30 * 60_000)],
          itemsRead: 3,
        }),
        changes: async () => ({ rows: [], itemsRead: 0 }),
        reread: async (ids) => {
          rereads.push(ids);
          return [];
        },
        describeError: String,
      },
      { sinceMs: 0, maxJobs: 100, refreshMs: 1000, staleMs: 60_000, now: () => now },
    );
    for (let s = 0; s < 130; s++) {
      await live.refreshOnce();
      now += 1000;
    }
    // Looked for every 15 s: "quiet" at 0, 60 and 120 s; "fresh" once quiet for 60 s (at 60 and 120 s).
    expect(rereads).toEqual([["quiet"], ["quiet", "fresh"], ["quiet", "fresh"]]);
  });

  it("tells the feed's changes even when the re-read after them fails, and re-reads at the next refresh", async () => {
    let now = T0;
    const iso = (ms: number) => new Date(ms).toISOString();
    const quiet = {
      record: { requestId: "quiet", status: "RUNNING" as const, attempts: 1 },
      sortKey: `${iso(T0 - 120_000)}#quiet`,
      updatedKey: `${iso(T0 - 120_000)}#quiet`,
    };
    const ended = {
      ...quiet,
      record: { ...quiet.record, status: "SUCCEEDED" as const },
      updatedKey: `${iso(T0 - 1000)}#quiet`,
    };
    const rereads: string[][] = [];
    const live = new LiveJobs(
      {
        load: async () => ({ rows: [quiet], itemsRead: 1 }),
        changes: async () => ({ rows: [], itemsRead: 0 }),
        reread: async (ids) => {
          rereads.push(ids);
          if (rereads.length === 1) throw new Error("ProvisionedThroughputExceededException");
          return [ended];
        },
        describeError: String,
      },
      { sinceMs: 0, maxJobs: 100, refreshMs: 1000, staleMs: 60_000, now: () => now },
    );
    const told: string[] = [];
    live.onChange((rows) => told.push(...rows.map((r) => `${r.record.requestId} ${r.record.status}`)));
    expect(await live.refreshOnce()).toBe(false);
    // The load's rows are in the list and behind the feed's cursor: told now or never.
    expect(told).toEqual(["quiet RUNNING"]);
    now += 1000;
    expect(await live.refreshOnce()).toBe(true);
    expect(rereads).toEqual([["quiet"], ["quiet"]]);
    expect(told).toEqual(["quiet RUNNING", "quiet SUCCEEDED"]);
  });

  it("reads records through indexes that leave the facts out (a third of the item)", async () => {
    const doc = DynamoDBDocumentClient.from(db.client());
    const res = await doc.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: "byActivity",
        KeyConditionExpression: "activityShard = :s",
        ExpressionAttributeValues: { ":s": "ACT#0" },
        Limit: 5,
      }),
    );
    expect(res.Items!.length).toBeGreaterThan(0);
    for (const item of res.Items!) {
      expect(item["facts"]).toBeUndefined();
      expect(item["rev"]).toBeUndefined();
      expect(item["requestId"]).toEqual(expect.any(String));
      expect(item["status"]).toEqual(expect.any(String));
    }
  });

  it("bounds reads by the server's clock even when ours runs ahead", async () => {
    const client = db.client();
    const clock = serverClock(client, { now: () => Date.now() + 60_000 });
    const reader = new JobsReader(client, TABLE);
    await reader.getJob(jobs[0]!.record.requestId);
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(2000);
  });
});

describe("stopping", () => {
  it("does not wait for a read that hangs", async () => {
    const live = new LiveJobs(
      {
        load: () => new Promise(() => undefined),
        changes: async () => ({ rows: [], itemsRead: 0 }),
        reread: async () => [],
        describeError: String,
      },
      { sinceMs: 0, maxJobs: 10, refreshMs: 1000, staleMs: 60_000 },
    );
    live.start();
    // Without the grace this never resolves (the load never does) and the test times out.
    await live.stop(200);
    expect(live.snapshot().status.phase).toBe("stopped");
  });

  it("leaves no timer and keeps its stopped status when a read in flight ends after the stop", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    for (const outcome of ["fails", "succeeds"] as const) {
      let settle!: (ok: boolean) => void;
      const live = new LiveJobs(
        {
          load: () =>
            new Promise(
              (resolve, reject) =>
                (settle = (ok) => (ok ? resolve({ rows: [], itemsRead: 0 }) : reject(new Error("Request aborted")))),
            ),
          changes: async () => ({ rows: [], itemsRead: 0 }),
          reread: async () => [],
          describeError: String,
        },
        { sinceMs: 0, maxJobs: 10, refreshMs: 1000, staleMs: 60_000, maxBackoffMs: 30_000, random: () => 1 },
      );
      live.start();
      await live.stop(50);
      const before = timers();
      // The caller destroys the clients after stop(): the hanging read now ends one way or the other.
      settle(outcome === "succeeds");
      await new Promise((r) => setImmediate(r));
      expect(live.snapshot().status.phase, outcome).toBe("stopped");
      expect(timers(), `a refresh or backoff timer after the read ${outcome}`).toBe(before);
    }
  });

  it("keeps a read's notice in the status, and retries at once on retryNow instead of after the backoff", async () => {
    let fail = true;
    let now = 1_000;
    let reads = 0;
    const live = new LiveJobs(
      {
        load: async () => {
          reads++;
          if (fail) throw new Error("connect ECONNREFUSED");
          return { rows: [], itemsRead: 0, notice: "the local cloud restarted" };
        },
        changes: async () => ({ rows: [], itemsRead: 0 }),
        reread: async () => [],
        describeError: String,
      },
      {
        sinceMs: 0,
        maxJobs: 10,
        refreshMs: 60_000,
        staleMs: 60_000,
        maxBackoffMs: 60_000,
        random: () => 1,
        now: () => now,
      },
    );
    live.start();
    await vi.waitFor(() => expect(live.snapshot().status.phase).toBe("retrying"));
    // The backoff is a second at least; retryNow does not wait for it.
    fail = false;
    now = 2_000;
    live.retryNow();
    await vi.waitFor(() => expect(live.snapshot().status.phase).toBe("live"), { timeout: 500 });
    expect(reads).toBe(2);
    expect(live.snapshot().status.notice).toEqual({ text: "the local cloud restarted", atMs: 2_000 });
    // Not while live: retryNow only cuts a backoff short.
    live.retryNow();
    await new Promise((r) => setTimeout(r, 50));
    expect(reads).toBe(2);
    await live.stop(100);
    expect(live.snapshot().status.notice?.text).toBe("the local cloud restarted");
  });
});
