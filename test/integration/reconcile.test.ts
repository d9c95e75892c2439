/** Reconcile over the real write path (dynalite): lost deliveries are rebuilt, twice is harmless. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconcile, type SourceEvent } from "../../core/status/reconcile.ts";
import { DynamoStatusStore, recordFromItem } from "../../aws/dynamo/status-store.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import { applyReduction } from "../../core/status/apply.ts";
import { generateGroup } from "../helpers/lambda-logs.ts";
import { payload } from "../helpers/delivery.ts";
import { isJobItem, startDynalite, type LocalDynamo } from "../helpers/dynalite.ts";

let db: LocalDynamo;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.close();
});

const group = generateGroup({
  format: "JSON",
  omitInitDuration: true,
  requests: [
    { attempts: [{ outcome: "success", stream: 0, appLines: 1, rawLines: 1 }] },
    {
      attempts: [
        { outcome: "timeoutNew", stream: 1, appLines: 0, rawLines: 2 },
        { outcome: "success", stream: 0, appLines: 0, rawLines: 0 },
      ],
    },
    { attempts: [{ outcome: "initFailure", stream: 2, appLines: 0, rawLines: 0 }] },
  ],
});

async function* source(events: SourceEvent[]): AsyncGenerator<SourceEvent> {
  yield* events;
}
const allEvents = (): SourceEvent[] =>
  group.streams
    .flatMap((s) => s.events.map((e) => ({ ...e, logStream: s.name })))
    .sort((a, b) => a.timestamp - b.timestamp);
const opts = { logGroup: group.logGroup, recordTtlDays: 90, writeConcurrency: 4 };

describe("reconcile", () => {
  it("rebuilds records whose deliveries were lost, over partial live state, and is a no-op the second time", async () => {
    await db.createJobsTable("reconcile-jobs");
    const store = new DynamoStatusStore(db.client(), "reconcile-jobs");
    // Live delivery got only the first half of each stream, split at its own points.
    for (const s of group.streams) {
      const half = s.events.slice(0, Math.ceil(s.events.length / 2));
      await applyReduction(store, reducePayload(payload(group, s.name, half)), opts);
    }
    const first = await reconcile(source(allEvents()), store, opts);
    expect(first).toMatchObject({ streams: group.streams.length, requests: 3 });
    expect(first.recordsChanged).toBeGreaterThan(0);
    const records = new Map(
      (await db.scanAll("reconcile-jobs")).filter(isJobItem).map((i) => [String(i["requestId"]), recordFromItem(i)]),
    );
    for (const [id, truth] of group.truth) expect(records.get(id)).toMatchObject(truth);

    const second = await reconcile(source(allEvents()), store, opts);
    expect(second).toMatchObject({ recordsChanged: 0, recordsUnchanged: 3 });
  });
});
