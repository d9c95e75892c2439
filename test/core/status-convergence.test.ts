import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MemoryStatusStore } from "../../core/status/memory-store.ts";
import { generateGroup, groupSpecArb } from "../helpers/lambda-logs.ts";
import { deliver, inOrder, scheduleArb } from "../helpers/delivery.ts";

describe("status from generated Lambda logs (in memory)", () => {
  it("in-order delivery yields the ground truth of every request", async () => {
    await fc.assert(
      fc.asyncProperty(groupSpecArb(), async (spec) => {
        const group = generateGroup(spec);
        const store = new MemoryStatusStore();
        await deliver(store, { payloads: inOrder(group), batch: 1 });
        const records = new Map(store.records().map((r) => [r.requestId, r]));
        expect(records.size).toBe(group.truth.size);
        for (const [id, truth] of group.truth) expect(records.get(id), id).toMatchObject(truth);
      }),
      { numRuns: 300 },
    );
  });

  it("any split, duplication, overlapping re-split, reordering and concurrency converges to the in-order result", async () => {
    await fc.assert(
      fc.asyncProperty(
        groupSpecArb()
          .map((spec) => generateGroup(spec))
          .chain((group) => fc.tuple(fc.constant(group), scheduleArb(group, { resplits: true }))),
        async ([group, schedule]) => {
          const reference = new MemoryStatusStore();
          await deliver(reference, { payloads: inOrder(group), batch: 1 });
          const store = new MemoryStatusStore();
          await deliver(store, schedule);
          expect(store.snapshot()).toEqual(reference.snapshot());
        },
      ),
      { numRuns: 300 },
    );
  });
});
