/**
 * Applies one reduced payload to a StatusStore so that any split, duplication or reordering of
 * payloads converges to the same job records.
 *
 * 1. Stream index (write, then read — so of two payloads racing on the same boundary, at least
 *    one sees the other): the payload's trailing id-less events become pending items, its first
 *    event naming a request becomes a marker. Each pending event is then offered to the first
 *    marker after it, and each marker collects the pending events since the previous marker.
 *    Offers accumulate in the pending item's claimant set; the earliest claimant is the true
 *    owner (it is the first event naming a request after the pending one), the others get the
 *    claim withdrawn. Claimant sets only grow, so the outcome does not depend on order.
 * 2. Job records: one read (consistent, batched) and at most one write per request per payload:
 *    merge the new facts into the stored set, derive the record, compare-and-set on the fact
 *    count; on a conflict re-read and retry (bounded). A payload adding nothing new writes nothing.
 */
import pLimit from "p-limit";
import { jobIndexKeys, streamPartition } from "../jobs-table.ts";
import { claimKey, decodeFact, disownKey, encodeFact, type Fact, type IdlessEffect } from "./facts.ts";
import { deriveJob } from "./derive.ts";
import type { PayloadReduction, PendingLine, StreamAnchor } from "./reduce.ts";
import type { PendingItem, StatusStore, StoredJob } from "./store.ts";
import { timestampOf, type Position } from "./position.ts";

export interface ApplyOptions {
  recordTtlDays: number;
  /** Parallel job writes. */
  writeConcurrency: number;
  /** Compare-and-set retries per job before the payload fails (and is redelivered). */
  maxConflictRetries?: number;
  now?: () => Date;
}

export interface ApplyStats {
  events: number;
  requests: number;
  jobWrites: number;
  /** Requests whose facts were all known already: nothing written. */
  unchanged: number;
  conflicts: number;
  indexWrites: number;
  /** Request ids whose record was written. */
  written: string[];
}

export class WriteConflictError extends Error {
  override name = "WriteConflictError";
}

const DAY_S = 86_400;

const claimantOf = (pos: Position, requestId: string) => `${pos}|${requestId}`;
function parseClaimant(c: string): { pos: Position; requestId: string } {
  const bar = c.indexOf("|");
  return { pos: c.slice(0, bar), requestId: c.slice(bar + 1) };
}

export async function applyReduction(
  store: StatusStore,
  red: PayloadReduction,
  opts: ApplyOptions,
): Promise<ApplyStats> {
  const now = opts.now ?? (() => new Date());
  const expiry = (ms: number) => Math.floor(ms / 1000) + opts.recordTtlDays * DAY_S;
  const stream = streamPartition(red.logGroup, red.logStream);
  const stats: ApplyStats = {
    events: red.events,
    requests: 0,
    jobWrites: 0,
    unchanged: 0,
    conflicts: 0,
    indexWrites: 0,
    written: [],
  };

  const incoming = new Map<string, Map<string, Fact>>();
  for (const [id, facts] of red.facts) incoming.set(id, new Map(facts));
  const addFact = (requestId: string, key: string, fact: Fact) => {
    let m = incoming.get(requestId);
    if (!m) incoming.set(requestId, (m = new Map()));
    m.set(key, fact);
  };

  /** Sends the claim to the earliest claimant and withdraws it from every later one. */
  const route = (item: PendingItem) => {
    const effect = JSON.parse(item.effect) as IdlessEffect;
    const claimants = [...item.claimants].sort();
    const owner = parseClaimant(claimants[0]!);
    const base = { s: red.logStream, t: item.ts, i: item.id };
    addFact(owner.requestId, claimKey(item.pos, owner.pos), { ...base, b: { k: "claim", a: owner.pos, what: effect } });
    for (const c of claimants.slice(1)) {
      const other = parseClaimant(c);
      addFact(other.requestId, disownKey(item.pos, other.pos), { ...base, b: { k: "disown" } });
    }
  };

  // 1a. Write what this payload knows about the stream. An id-less event resolved inside this
  // payload is registered too (its anchor as a marker): a payload split differently — say a
  // reconcile range overlapping live deliveries — may have left the same event pending.
  const markers = new Map<Position, StreamAnchor>();
  if (red.firstAnchor) markers.set(red.firstAnchor.pos, red.firstAnchor);
  for (const r of red.resolved) markers.set(r.anchor.pos, r.anchor);
  for (const p of red.pending) {
    await store.putPending(stream, { pos: p.pos, id: p.id, ts: p.ts, effect: JSON.stringify(p.effect) }, expiry(p.ts));
    stats.indexWrites++;
  }
  for (const marker of markers.values()) {
    await store.putMarker(stream, marker, expiry(timestampOf(marker.pos)));
    stats.indexWrites++;
  }
  // 1b. Then read what other payloads left.
  const offer = async (pending: Pick<PendingLine, "pos">, claimant: string, known?: PendingItem) => {
    if (known?.claimants.includes(claimant)) return route(known);
    const item = await store.addClaimant(stream, pending.pos, claimant);
    stats.indexWrites++;
    if (item) route(item);
  };
  for (const p of red.pending) {
    const marker = await store.firstMarkerAfter(stream, p.pos);
    if (marker) await offer(p, claimantOf(marker.pos, marker.requestId));
  }
  if (red.firstAnchor) {
    const { pos, requestId } = red.firstAnchor;
    const previous = await store.lastMarkerBefore(stream, pos);
    for (const item of await store.pendingBetween(stream, previous?.pos, pos)) {
      await offer(item, claimantOf(pos, requestId), item);
    }
  }
  for (const r of red.resolved) {
    // Joins the claimants if another payload left this event pending. Usually none did: a read
    // then costs a fifth of the (conditional, failing) write it saves. Safe because our marker
    // was written before this read, and a pending writer reads markers after writing.
    const known = await store.getPending(stream, r.pos);
    if (known) await offer(r, claimantOf(r.anchor.pos, r.anchor.requestId), known);
  }

  // 2. One read, at most one write per request.
  const ids = [...incoming.keys()].sort();
  stats.requests = ids.length;
  const stored = await store.getJobs(ids);
  const limit = pLimit(Math.max(1, opts.writeConcurrency));
  const maxRetries = opts.maxConflictRetries ?? 20;

  await Promise.all(
    ids.map((id) =>
      limit(async () => {
        let current: StoredJob | undefined = stored.get(id);
        for (let attempt = 0; ; attempt++) {
          const merged: Record<string, string> = { ...(current?.facts ?? {}) };
          let added = 0;
          for (const [key, fact] of incoming.get(id)!) {
            if (merged[key] === undefined) {
              merged[key] = encodeFact(fact);
              added++;
            }
          }
          if (added === 0) {
            stats.unchanged++;
            return;
          }
          const facts: [string, Fact][] = [];
          for (const [key, encoded] of Object.entries(merged)) {
            const f = decodeFact(encoded);
            if (f) facts.push([key, f]);
          }
          const derived = deriveJob(id, facts, red.logGroup);
          const updatedAt = now().toISOString();
          const rev = Object.keys(merged).length;
          const ok = await store.putJob(
            id,
            {
              record: derived.record,
              indexKeys: jobIndexKeys({
                requestId: id,
                status: derived.record.status,
                sortTime: derived.sortTime,
                updatedAt,
              }),
              expiresAt: expiry(derived.lastEventMs),
              updatedAt,
              facts: merged,
              rev,
            },
            current?.rev,
          );
          if (ok) {
            stats.jobWrites++;
            stats.written.push(id);
            return;
          }
          stats.conflicts++;
          if (attempt >= maxRetries)
            throw new WriteConflictError(`request ${id}: gave up after ${attempt + 1} conflicting writes`);
          current = (await store.getJobs([id])).get(id);
        }
      }),
    ),
  );
  return stats;
}
