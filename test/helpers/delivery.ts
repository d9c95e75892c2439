/** CloudWatch-like delivery of generated log groups: split, duplicated, reordered, concurrent. */
import fc from "fast-check";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import { applyReduction, type ApplyStats } from "../../core/status/apply.ts";
import type { StatusStore } from "../../core/status/store.ts";
import type { GeneratedGroup } from "./lambda-logs.ts";

export function payload(group: GeneratedGroup, stream: string, events: SubscriptionMessage["logEvents"]): SubscriptionMessage {
  return { messageType: "DATA_MESSAGE", owner: "123456789012", logGroup: group.logGroup, logStream: stream, subscriptionFilters: ["status"], logEvents: events };
}

/** Each stream whole, in order: the reference delivery. */
export function inOrder(group: GeneratedGroup): SubscriptionMessage[] {
  return group.streams.map((s) => payload(group, s.name, s.events));
}

export interface Schedule {
  payloads: SubscriptionMessage[];
  /** Payloads delivered at the same time. */
  batch: number;
}

/** Contiguous chunks of each stream (CloudWatch never splits differently on redelivery), some delivered twice, in any order. */
export function scheduleArb(group: GeneratedGroup): fc.Arbitrary<Schedule> {
  const perStream = group.streams.map((s) =>
    fc.subarray(
      Array.from({ length: Math.max(0, s.events.length - 1) }, (_, i) => i + 1),
      { minLength: 0 },
    ).map((cuts) => {
      const bounds = [0, ...cuts, s.events.length];
      return bounds.slice(1).map((end, i) => payload(group, s.name, s.events.slice(bounds[i], end)));
    }),
  );
  return fc
    .tuple(...perStream)
    .map((chunks) => chunks.flat())
    .chain((chunks) =>
      fc
        .tuple(fc.subarray(chunks.map((_, i) => i)), fc.integer({ min: 1, max: 4 }), fc.boolean())
        .chain(([dups, batch, shuffleInside]) => {
          const all = [...chunks, ...dups.map((i) => chunks[i]!)].map((p) =>
            shuffleInside ? { ...p, logEvents: [...p.logEvents].reverse() } : p,
          );
          return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map((payloads) => ({ payloads, batch }));
        }),
    );
}

export interface DeliveryOptions {
  recordTtlDays?: number;
  writeConcurrency?: number;
}

export async function deliver(store: StatusStore, schedule: Schedule, opts: DeliveryOptions = {}): Promise<ApplyStats[]> {
  const stats: ApplyStats[] = [];
  for (let i = 0; i < schedule.payloads.length; i += schedule.batch) {
    const batch = schedule.payloads.slice(i, i + schedule.batch);
    stats.push(
      ...(await Promise.all(
        batch.map((p) => applyReduction(store, reducePayload(p), { recordTtlDays: opts.recordTtlDays ?? 90, writeConcurrency: opts.writeConcurrency ?? 4 })),
      )),
    );
  }
  return stats;
}
