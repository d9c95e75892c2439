/** CloudWatch-like delivery of generated log groups: split, duplicated, reordered, concurrent. */
import fc from "fast-check";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import { applyReduction, type ApplyStats } from "../../core/status/apply.ts";
import type { StatusStore } from "../../core/status/store.ts";
import type { GeneratedGroup } from "./lambda-logs.ts";

export function payload(
  group: GeneratedGroup,
  stream: string,
  events: SubscriptionMessage["logEvents"],
): SubscriptionMessage {
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: group.logGroup,
    logStream: stream,
    subscriptionFilters: ["status"],
    logEvents: events,
  };
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

/**
 * Contiguous chunks of each stream, some delivered twice, in any order — plus, when `resplits`,
 * extra ranges that overlap them with other split points (what `aligner reconcile` sends when it
 * re-reads a time range that live deliveries already covered).
 */
export function scheduleArb(group: GeneratedGroup, opts: { resplits?: boolean } = {}): fc.Arbitrary<Schedule> {
  const ranges = opts.resplits
    ? fc.array(
        fc.tuple(fc.nat({ max: Math.max(0, group.streams.length - 1) }), fc.nat(), fc.nat()).map(([si, a, b]) => {
          const s = group.streams[si]!;
          const lo = a % s.events.length;
          const hi = lo + 1 + (b % (s.events.length - lo));
          return payload(group, s.name, s.events.slice(lo, hi));
        }),
        { maxLength: 4 },
      )
    : fc.constant([] as SubscriptionMessage[]);
  const perStream = group.streams.map((s) =>
    fc
      .subarray(
        Array.from({ length: Math.max(0, s.events.length - 1) }, (_, i) => i + 1),
        { minLength: 0 },
      )
      .map((cuts) => {
        const bounds = [0, ...cuts, s.events.length];
        return bounds.slice(1).map((end, i) => payload(group, s.name, s.events.slice(bounds[i], end)));
      }),
  );
  return fc
    .tuple(fc.tuple(...perStream), ranges)
    .map(([chunks, extra]) => [...chunks.flat(), ...extra])
    .chain((chunks) =>
      fc
        .tuple(fc.subarray(chunks.map((_, i) => i)), fc.integer({ min: 1, max: 4 }), fc.boolean())
        .chain(([dups, batch, shuffleInside]) => {
          const all = [...chunks, ...dups.map((i) => chunks[i]!)].map((p) =>
            shuffleInside ? { ...p, logEvents: [...p.logEvents].reverse() } : p,
          );
          return fc
            .shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
            .map((payloads) => ({ payloads, batch }));
        }),
    );
}

export interface DeliveryOptions {
  recordTtlDays?: number;
  writeConcurrency?: number;
}

export async function deliver(
  store: StatusStore,
  schedule: Schedule,
  opts: DeliveryOptions = {},
): Promise<ApplyStats[]> {
  const stats: ApplyStats[] = [];
  for (let i = 0; i < schedule.payloads.length; i += schedule.batch) {
    const batch = schedule.payloads.slice(i, i + schedule.batch);
    stats.push(
      ...(await Promise.all(
        batch.map((p) =>
          applyReduction(store, reducePayload(p), {
            recordTtlDays: opts.recordTtlDays ?? 90,
            writeConcurrency: opts.writeConcurrency ?? 4,
          }),
        ),
      )),
    );
  }
  return stats;
}
