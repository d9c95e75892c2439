/**
 * What changed in the jobs table since the last look, read from the `byActivity` index: one
 * Query per shard over the key range written since the previous refresh, so a refresh reads the
 * changed records and nothing else (see README, "Live cost").
 *
 * The range ends `settleMs` before the server's "now": a record's `updatedKey` is stamped by the
 * log processor before its write commits and the index is updated asynchronously (AWS: "within
 * a fraction of a second"), so a write stamped T may become visible after a later one. Reading
 * only up to now - settle, and never again below that, reads each write once; the price is that
 * the view runs `settleMs` behind. A write delayed by more (a throttled processor retrying) is
 * caught by the live view's re-read of jobs it shows as RUNNING for long (tui/live-jobs.ts).
 */
import { activityPartitions, activityRange, activityWindow } from "../../core/job-queries.ts";
import type { JobRow } from "../../core/job-item.ts";
import type { JobsReader } from "./jobs-reader.ts";
import type { Clock } from "./server-clock.ts";

export interface ActivityFeedOptions {
  settleMs: number;
  clock: Clock;
  shards?: number;
  /**
   * Carry on from another feed's `cursor` (the same table reached again, e.g. a local cloud that
   * restarted on new ports): `changes()` reads what was written since, with no `load()` first.
   */
  resumeFrom?: number;
}

export interface FeedRead {
  rows: JobRow[];
  /** Items read (billed) by this call. */
  itemsRead: number;
  /** Queries made (one per shard at least). */
  queries: number;
}

/** A key range no `<time>#<id>` key falls in. */
const NO_KEYS = { lo: "0", hi: "0" };

export class ActivityFeed {
  /** Every write stamped at or before this time (ms) has been read. */
  private coveredUpTo: number | undefined;

  constructor(
    private readonly reader: JobsReader,
    private readonly opts: ActivityFeedOptions,
  ) {
    this.coveredUpTo = opts.resumeFrom;
  }

  get cursor(): number | undefined {
    return this.coveredUpTo;
  }

  /** The `maxJobs` most recently written jobs since `sinceMs`: the first screen. */
  async load(sinceMs: number, maxJobs: number): Promise<FeedRead> {
    const before = { ...this.reader.counts };
    const partitions = activityPartitions(this.opts.shards);
    // First a Query that matches nothing (reads no item): its response sets a server
    // clock (aws/dynamo/server-clock.ts). Without it `upto` would come from our own clock, and one
    // running ahead would put the cursor past the server's "now": writes stamped in between
    // would land behind it and be skipped for good.
    await this.reader.queryPage(partitions[0]!, NO_KEYS, { forward: false, limit: 1 });
    const upto = this.opts.clock.now() - this.opts.settleMs;
    const rows: JobRow[] = [];
    for await (const row of this.reader.newestFirst(partitions, activityWindow(sinceMs, upto), { limit: maxJobs }))
      rows.push(row);
    this.coveredUpTo = upto;
    return {
      rows,
      itemsRead: this.reader.counts.items - before.items,
      queries: this.reader.counts.requests - before.requests,
    };
  }

  /** Records written since the previous call (or `load`). */
  async changes(): Promise<FeedRead> {
    const upto = this.opts.clock.now() - this.opts.settleMs;
    if (this.coveredUpTo !== undefined && upto <= this.coveredUpTo) return { rows: [], itemsRead: 0, queries: 0 };
    const range = activityRange(this.coveredUpTo, upto);
    const before = { ...this.reader.counts };
    const pages = await Promise.all(
      activityPartitions(this.opts.shards).map(async (p) => {
        const rows: JobRow[] = [];
        for await (const page of this.reader.partitionRows(p, range)) rows.push(...page);
        return rows;
      }),
    );
    // Only now: a failed read must be retried over the same range.
    this.coveredUpTo = upto;
    return {
      rows: pages.flat(),
      itemsRead: this.reader.counts.items - before.items,
      queries: this.reader.counts.requests - before.requests,
    };
  }
}
