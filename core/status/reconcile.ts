/**
 * Rebuilds job records from the aligner's log group itself — the only guarantee of completeness
 * when subscription deliveries were lost (CloudWatch drops them while a destination is denied or
 * missing). Reads events (in AWS, through FilterLogEvents: aws/logs/filter-log-events.ts), groups them by stream into contiguous runs, and
 * applies them with the log processor's own path. Safe to run any number of times: facts already
 * known change nothing, and a record is written only when something new was found.
 */
import type { LogEvent } from "../logs/payload.ts";
import { reducePayload } from "./reduce.ts";
import { applyReduction } from "./apply.ts";
import type { StatusStore } from "./store.ts";

export interface SourceEvent extends LogEvent {
  logStream: string;
}

export interface ReconcileOptions {
  logGroup: string;
  recordTtlDays: number;
  writeConcurrency: number;
  /** Called as events are read and as streams are applied. */
  onProgress?: (p: { phase: "reading" | "applying"; events: number; streams: number; streamsDone: number }) => void;
}

export interface ReconcileReport {
  logGroup: string;
  events: number;
  streams: number;
  /** Request ids seen in the range. */
  requests: number;
  /** Records written because the logs held something the table did not. */
  recordsChanged: number;
  /** Records that already held everything the range says. */
  recordsUnchanged: number;
}

export async function reconcile(
  source: AsyncIterable<SourceEvent>,
  store: StatusStore,
  opts: ReconcileOptions,
): Promise<ReconcileReport> {
  const byStream = new Map<string, LogEvent[]>();
  let events = 0;
  for await (const e of source) {
    let list = byStream.get(e.logStream);
    if (!list) byStream.set(e.logStream, (list = []));
    list.push({ id: e.id, timestamp: e.timestamp, message: e.message });
    if (++events % 5000 === 0) opts.onProgress?.({ phase: "reading", events, streams: byStream.size, streamsDone: 0 });
  }
  const requests = new Set<string>();
  const changed = new Set<string>();
  let done = 0;
  // One stream at a time, in name order: a stream's events in the range are one contiguous run.
  for (const [logStream, logEvents] of [...byStream].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const reduction = reducePayload({ logGroup: opts.logGroup, logStream, logEvents });
    for (const id of reduction.facts.keys()) requests.add(id);
    const stats = await applyReduction(store, reduction, {
      recordTtlDays: opts.recordTtlDays,
      writeConcurrency: opts.writeConcurrency,
    });
    for (const id of stats.written) changed.add(id);
    opts.onProgress?.({ phase: "applying", events, streams: byStream.size, streamsDone: ++done });
  }
  return {
    logGroup: opts.logGroup,
    events,
    streams: byStream.size,
    requests: requests.size,
    recordsChanged: changed.size,
    recordsUnchanged: requests.size - changed.size,
  };
}
