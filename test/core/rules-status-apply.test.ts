/**
 * Rules of writing statuses (core/status/apply.ts) that no end-to-end run shows: when records and
 * stream-index items expire (DynamoDB TTL, epoch seconds), and that conflicting writes end in an
 * error the delivery is retried on, never in a loop.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { applyReduction, WriteConflictError } from "../../core/status/apply.ts";
import { MemoryStatusStore } from "../../core/status/memory-store.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import type { JobWrite, MarkerItem, PendingItem } from "../../core/status/store.ts";

const A = "3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b";
const DAY_S = 86_400;

function payload(startMs: number, lines: string[]): Pick<SubscriptionMessage, "logGroup" | "logStream" | "logEvents"> {
  return {
    logGroup: "/aws/lambda/lambda-aligner-aligner",
    logStream: "2026/11/24/[$LATEST]af2b1e1843b84a2d80c67840ae3ffa72",
    logEvents: lines.map((message, i) => ({
      id: String(1000 + i).padStart(56, "0"),
      timestamp: startMs + i * 1000,
      message,
    })),
  };
}

const run = () => [
  "INIT_START Runtime Version: nodejs:22.v37\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0123abcd",
  `START RequestId: ${A} Version: $LATEST`,
  `END RequestId: ${A}`,
  `REPORT RequestId: ${A}\tDuration: 1.76 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 48 MB\tInit Duration: 120.96 ms`,
  // An id-less line after the last request: left pending in the stream index.
  "INIT_START Runtime Version: nodejs:22.v37\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0123abcd",
];

/** A memory store that also keeps the expiry each index item was written with. */
class ExpiryStore extends MemoryStatusStore {
  readonly indexExpiries: { kind: "pending" | "marker"; ts: number; expiresAt: number }[] = [];
  override async putPending(stream: string, item: Omit<PendingItem, "claimants">, expiresAt = Number.NaN) {
    this.indexExpiries.push({ kind: "pending", ts: item.ts, expiresAt });
    return super.putPending(stream, item);
  }
  override async putMarker(stream: string, marker: MarkerItem, expiresAt = Number.NaN) {
    this.indexExpiries.push({ kind: "marker", ts: Number(marker.pos.slice(0, 15)), expiresAt });
    return super.putMarker(stream, marker);
  }
}

describe("expiry", () => {
  it("a job record expires the configured number of days after its last event, in epoch seconds", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.integer({ min: 1, max: 3650 }),
        async (startMs, ttlDays) => {
          const store = new MemoryStatusStore();
          await applyReduction(store, reducePayload(payload(startMs, run())), {
            recordTtlDays: ttlDays,
            writeConcurrency: 1,
          });
          const lastEventMs = startMs + 3 * 1000; // the REPORT: the last event naming the request
          const job = store.snapshot()[A]!;
          expect(job.expiresAt).toBe(Math.floor(lastEventMs / 1000) + ttlDays * DAY_S);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("stream-index items expire the same number of days after their own event", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.integer({ min: 1, max: 3650 }),
        async (startMs, ttlDays) => {
          const store = new ExpiryStore();
          await applyReduction(store, reducePayload(payload(startMs, run())), {
            recordTtlDays: ttlDays,
            writeConcurrency: 1,
          });
          expect(store.indexExpiries.map((e) => e.kind).sort()).toEqual(["marker", "pending"]);
          for (const e of store.indexExpiries) expect(e.expiresAt).toBe(Math.floor(e.ts / 1000) + ttlDays * DAY_S);
        },
      ),
      { numRuns: 30 },
    );
  });
});

/** A store on which every job write loses the compare-and-set (another writer always got there first). */
class AlwaysConflicting extends MemoryStatusStore {
  putJobCalls = 0;
  override async putJob(_requestId: string, _write: JobWrite, _expectedRev: number | undefined): Promise<boolean> {
    if (++this.putJobCalls > 1000) throw new Error("still retrying after 1000 conflicting writes");
    return false;
  }
}

describe("conflicting writes", () => {
  it("retries a lost compare-and-set the configured number of times, then fails the payload so it is redelivered", async () => {
    for (const maxConflictRetries of [0, 1, 3, 20]) {
      const store = new AlwaysConflicting();
      const reduction = reducePayload(payload(Date.UTC(2026, 10, 24), run()));
      await expect(
        applyReduction(store, reduction, { recordTtlDays: 90, writeConcurrency: 1, maxConflictRetries }),
      ).rejects.toThrow(
        new WriteConflictError(`request ${A}: gave up after ${maxConflictRetries + 1} conflicting writes`),
      );
      expect(store.putJobCalls).toBe(maxConflictRetries + 1);
    }
    // The default is bounded too.
    const store = new AlwaysConflicting();
    await expect(
      applyReduction(store, reducePayload(payload(Date.UTC(2026, 10, 24), run())), {
        recordTtlDays: 90,
        writeConcurrency: 1,
      }),
    ).rejects.toThrow(WriteConflictError);
    expect(store.putJobCalls).toBe(21);
  });

  it("a write that loses once is retried on the re-read record and lands", async () => {
    class LosesOnce extends MemoryStatusStore {
      lost = false;
      override async putJob(requestId: string, write: JobWrite, expectedRev: number | undefined): Promise<boolean> {
        if (!this.lost) {
          this.lost = true;
          return false;
        }
        return super.putJob(requestId, write, expectedRev);
      }
    }
    const store = new LosesOnce();
    const stats = await applyReduction(store, reducePayload(payload(Date.UTC(2026, 10, 24), run())), {
      recordTtlDays: 90,
      writeConcurrency: 1,
    });
    expect(stats).toMatchObject({ conflicts: 1, jobWrites: 1, written: [A] });
    expect(store.records()[0]).toMatchObject({ requestId: A, status: "SUCCEEDED", coldStart: true });
  });
});
