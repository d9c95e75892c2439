/**
 * The write path over the real DynamoDB protocol (dynalite): whatever CloudWatch does —
 * splits, duplicates, reordering, concurrent deliveries, a processor crashing mid-payload,
 * throttling — the table converges to the records of one in-order delivery.
 */
import { rng } from "../helpers/random.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { MemoryStatusStore, type JobState } from "../../core/status/memory-store.ts";
import { effectiveFacts } from "../../core/status/facts.ts";
import { DynamoStatusStore, recordFromItem } from "../../aws/dynamo/status-store.ts";
import type { StatusStore } from "../../core/status/store.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import { applyReduction } from "../../core/status/apply.ts";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { generateGroup, groupSpecArb, type GeneratedGroup } from "../helpers/lambda-logs.ts";
import { deliver, inOrder, scheduleArb, type Schedule } from "../helpers/delivery.ts";
import { isJobItem, startDynalite, type LocalDynamo } from "../helpers/dynalite.ts";

let db: LocalDynamo;
let tables = 0;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.close();
});

async function freshTable(): Promise<string> {
  const name = `jobs-${++tables}`;
  await db.createJobsTable(name);
  return name;
}

async function tableState(table: string): Promise<Record<string, JobState>> {
  const out: Record<string, JobState> = {};
  const items = (await db.scanAll(table))
    .filter(isJobItem)
    .sort((a, b) => String(a["requestId"]).localeCompare(String(b["requestId"])));
  for (const item of items) {
    const { updatedAt: _u, ...record } = recordFromItem(item);
    out[String(item["requestId"])] = {
      record,
      indexKeys: {
        statusShard: String(item["statusShard"]),
        startedKey: String(item["startedKey"]),
        activityShard: String(item["activityShard"]),
      },
      expiresAt: Number(item["expiresAt"]),
      facts: effectiveFacts(item["facts"] as Record<string, string>),
    };
  }
  return out;
}

async function reference(group: GeneratedGroup): Promise<Record<string, JobState>> {
  const store = new MemoryStatusStore();
  await deliver(store, { payloads: inOrder(group), batch: 1 });
  return store.snapshot();
}

const apply = (store: StatusStore, p: SubscriptionMessage) =>
  applyReduction(store, reducePayload(p), { recordTtlDays: 90, writeConcurrency: 4 });

const groupAndSchedule = groupSpecArb({ maxRequests: 6, maxStreams: 3 })
  .map((spec) => generateGroup(spec))
  .chain((group) => fc.tuple(fc.constant(group), scheduleArb(group, { resplits: true })));

/** Crashes after a given number of writes, like a processor killed mid-payload. */
class CrashingStore implements StatusStore {
  private writes = 0;
  constructor(
    private readonly inner: StatusStore,
    private readonly crashAfter: number,
  ) {}
  private tick() {
    if (this.writes++ >= this.crashAfter) throw new Error("processor crashed");
  }
  getJobs: StatusStore["getJobs"] = (ids) => this.inner.getJobs(ids);
  putJob: StatusStore["putJob"] = async (...a) => {
    this.tick();
    return this.inner.putJob(...a);
  };
  putPending: StatusStore["putPending"] = async (...a) => {
    this.tick();
    return this.inner.putPending(...a);
  };
  putMarker: StatusStore["putMarker"] = async (...a) => {
    this.tick();
    return this.inner.putMarker(...a);
  };
  addClaimant: StatusStore["addClaimant"] = async (...a) => {
    this.tick();
    return this.inner.addClaimant(...a);
  };
  firstMarkerAfter: StatusStore["firstMarkerAfter"] = (...a) => this.inner.firstMarkerAfter(...a);
  lastMarkerBefore: StatusStore["lastMarkerBefore"] = (...a) => this.inner.lastMarkerBefore(...a);
  pendingBetween: StatusStore["pendingBetween"] = (...a) => this.inner.pendingBetween(...a);
  getPending: StatusStore["getPending"] = (...a) => this.inner.getPending(...a);
}

describe("status writes on DynamoDB (dynalite)", () => {
  it("converge to the in-order records under any delivery schedule", async () => {
    await fc.assert(
      fc.asyncProperty(groupAndSchedule, async ([group, schedule]) => {
        const table = await freshTable();
        await deliver(new DynamoStatusStore(db.client(), table), schedule);
        expect(await tableState(table)).toEqual(await reference(group));
      }),
      { numRuns: 30 },
    );
  });

  it("converge when the processor crashes after k writes of a payload and it is redelivered", async () => {
    await fc.assert(
      fc.asyncProperty(
        groupAndSchedule,
        fc.nat(),
        fc.nat({ max: 12 }),
        async ([group, schedule], which, crashAfter) => {
          const table = await freshTable();
          const store = new DynamoStatusStore(db.client(), table);
          const victim = which % schedule.payloads.length;
          let crashed = 0;
          for (const [i, p] of schedule.payloads.entries()) {
            try {
              await apply(i === victim ? new CrashingStore(store, crashAfter) : store, p);
            } catch {
              crashed++;
            }
          }
          // Lambda retries the failed invocation later with the same payload.
          for (const [i, p] of schedule.payloads.entries()) if (i === victim) await apply(store, p);
          expect(crashed).toBeLessThanOrEqual(1);
          expect(await tableState(table)).toEqual(await reference(group));
        },
      ),
      { numRuns: 20 },
    );
  });

  it("survive throttling: the SDK retries with backoff, and payloads it gives up on converge when redelivered", async () => {
    let throttled = 0;
    let redelivered = 0;
    await fc.assert(
      fc.asyncProperty(groupAndSchedule, fc.integer({ min: 1, max: 2 ** 30 }), async ([group, schedule], seed) => {
        const table = await freshTable();
        const client = db.client({ maxAttempts: 3, fastRetries: true });
        const random = rng(seed);
        client.middlewareStack.add(
          (next) => async (args) => {
            if (random() < 0.2) {
              throttled++;
              throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
                name: "ProvisionedThroughputExceededException",
                $fault: "client",
                $metadata: { httpStatusCode: 400 },
              });
            }
            return next(args);
          },
          { step: "finalizeRequest", name: "injectThrottling", priority: "low" },
        );
        const store = new DynamoStatusStore(client, table);
        let queue: SubscriptionMessage[] = [...schedule.payloads];
        for (let round = 0; queue.length > 0; round++) {
          expect(round).toBeLessThan(50);
          const failed: SubscriptionMessage[] = [];
          for (const p of queue) await apply(store, p).catch(() => failed.push(p));
          redelivered += failed.length;
          queue = failed;
        }
        expect(await tableState(table)).toEqual(await reference(group));
      }),
      { numRuns: 15 },
    );
    expect(throttled).toBeGreaterThan(0);
    expect(redelivered).toBeGreaterThan(0);
  }, 60_000);

  it("writes nothing when a payload brings nothing new", async () => {
    const group = generateGroup({
      format: "Text",
      omitInitDuration: false,
      requests: [{ attempts: [{ outcome: "success", stream: 0, appLines: 2, rawLines: 2 }] }],
    });
    const table = await freshTable();
    const writes = { job: 0, index: 0 };
    const store = new DynamoStatusStore(db.client(), table, { onWrite: (k) => writes[k]++ });
    const schedule: Schedule = { payloads: inOrder(group), batch: 1 };
    await deliver(store, schedule);
    const first = { ...writes };
    await deliver(store, schedule);
    expect(first.job).toBe(1);
    expect(writes.job).toBe(first.job);
  });
});
