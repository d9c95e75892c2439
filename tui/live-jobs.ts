/**
 * The live view's data, kept apart from React: loads the newest jobs, then every `refreshMs`
 * applies what changed (ActivityFeed: one Query per shard over what was written since the last
 * refresh). A failed read is retried with exponential backoff and jitter and shown in the
 * status line; the loop itself never throws. React subscribes through `subscribe`/`snapshot`
 * (useSyncExternalStore); the plain (non-TTY) printer through `onChange`.
 *
 * Jobs shown as RUNNING whose record has not changed for `staleMs` are re-read by id (at most
 * once per `staleMs` each, looked for every `staleMs / 4`): the safety net for a write the
 * activity feed could not see in time (see aws/dynamo/activity-feed.ts). In steady state that is only
 * the genuinely long jobs. A RUNNING record unchanged for longer than any invocation can last
 * (Lambda's 15-minute limit, with margin) lost its end for good — `aligner reconcile` is the cure
 * — and is no longer re-read, so abandoned records cost nothing.
 */
import type { JobRow } from "../core/job-item.ts";
import { keyTime } from "../core/job-item.ts";
import { JobList } from "./job-list.ts";

/** Longer than any invocation (Lambda's limit is 15 minutes) plus the log pipeline's delays. */
const ABANDONED_MS = 20 * 60_000;

/** What one read brought; `notice`: something the user should hear of once (a reconnection). */
export interface LiveRead {
  rows: JobRow[];
  itemsRead: number;
  notice?: string;
}

export interface LiveSource {
  load(sinceMs: number, maxJobs: number): Promise<LiveRead>;
  changes(): Promise<LiveRead>;
  reread(requestIds: string[]): Promise<JobRow[]>;
  /** One sentence for a failed read. */
  describeError(err: unknown): string;
}

export interface LiveStatus {
  phase: "loading" | "live" | "retrying" | "stopped";
  /** When the last successful refresh ended (ms). */
  lastRefreshMs?: number;
  /** Items the last refresh read (its cost). */
  lastItemsRead: number;
  error?: string;
  /** When the next attempt is due (ms), while retrying. */
  retryAtMs?: number;
  attempt: number;
  /** The latest notice a read brought, and when (kept until the next one). */
  notice?: { text: string; atMs: number };
}

export interface LiveSnapshot {
  version: number;
  status: LiveStatus;
}

export interface LiveJobsOptions {
  sinceMs: number;
  maxJobs: number;
  refreshMs: number;
  staleMs: number;
  now?: () => number;
  /** Longest wait between retries. */
  maxBackoffMs?: number;
  random?: () => number;
}

export class LiveJobs {
  readonly list: JobList;
  private snap: LiveSnapshot = { version: 0, status: { phase: "loading", lastItemsRead: 0, attempt: 0 } };
  private readonly listeners = new Set<() => void>();
  private readonly changeListeners = new Set<(rows: JobRow[]) => void>();
  private readonly rereadAt = new Map<string, number>();
  private lastSweepMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private loaded = false;
  private notice: LiveStatus["notice"];

  constructor(
    private readonly source: LiveSource,
    private readonly opts: LiveJobsOptions,
  ) {
    this.list = new JobList(opts.maxJobs);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): LiveSnapshot => this.snap;

  /** Called with the rows each refresh changed (the first load included): the feed's, then those the re-read repaired. */
  onChange(listener: (rows: JobRow[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** While retrying: try again now instead of at the end of the backoff (the endpoints changed). */
  retryNow(): void {
    if (this.snap.status.phase === "retrying") this.wake?.();
  }

  /** Runs one load-or-refresh now (tests, and the plain printer's single pass). */
  async refreshOnce(): Promise<boolean> {
    try {
      await this.step();
      return true;
    } catch (err) {
      this.setStatus({
        ...this.snap.status,
        phase: "retrying",
        error: this.source.describeError(err),
        attempt: this.snap.status.attempt + 1,
      });
      return false;
    }
  }

  /**
   * Stops refreshing. Waits for a read in flight at most `graceMs`: quitting must not hang on an
   * unreachable endpoint (the caller then destroys the clients, which ends the request).
   */
  async stop(graceMs = 1000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.setStatus({ ...this.snap.status, phase: "stopped" });
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let delay = this.opts.refreshMs;
      try {
        await this.step();
      } catch (err) {
        // A read that ends after stop() (the clients were destroyed under it) is no failure to show or retry.
        if (this.stopped) break;
        const attempt = this.snap.status.attempt + 1;
        const cap = this.opts.maxBackoffMs ?? 30_000;
        // Full jitter on an exponential base: many viewers do not retry in step.
        const base = Math.min(cap, 1000 * 2 ** (attempt - 1));
        delay = Math.max(250, Math.round(base * (0.5 + 0.5 * (this.opts.random ?? Math.random)())));
        this.setStatus({
          ...this.snap.status,
          phase: "retrying",
          error: this.source.describeError(err),
          attempt,
          retryAtMs: this.now() + delay,
        });
      }
      await this.sleep(delay);
    }
  }

  private async step(): Promise<void> {
    let read: LiveRead;
    if (!this.loaded) {
      read = await this.source.load(this.opts.sinceMs, this.opts.maxJobs);
      this.loaded = true;
    } else {
      read = await this.source.changes();
    }
    // Landed after stop(): the view is gone, and its status must stay "stopped".
    if (this.stopped) return;
    // Kept at once: a failing re-read below must not lose it.
    if (read.notice !== undefined) this.notice = { text: read.notice, atMs: this.now() };
    // Told before the re-read: these rows are in the list and behind the feed's cursor, so if the
    // re-read fails they would never be told (aligner watch --follow would skip them).
    this.tell(this.list.upsert(read.rows));
    this.tell(this.list.upsert(await this.rereadStale()));
    this.setStatus({ phase: "live", lastRefreshMs: this.now(), lastItemsRead: read.itemsRead, attempt: 0 });
  }

  private async rereadStale(): Promise<JobRow[]> {
    const now = this.now();
    if (now - this.lastSweepMs < this.opts.staleMs / 4) return [];
    this.lastSweepMs = now;
    const staleBefore = new Date(now - this.opts.staleMs).toISOString();
    const abandonedBefore = new Date(now - ABANDONED_MS).toISOString();
    const ids: string[] = [];
    for (const row of this.list.running()) {
      const id = row.record.requestId;
      const updated = keyTime(row.updatedKey);
      if (updated >= staleBefore || updated < abandonedBefore) continue;
      if ((this.rereadAt.get(id) ?? 0) > now - this.opts.staleMs) continue;
      ids.push(id);
      this.rereadAt.set(id, now);
    }
    for (const id of this.rereadAt.keys())
      if (!this.list.get(id) || this.list.get(id)!.record.status !== "RUNNING") this.rereadAt.delete(id);
    if (ids.length === 0) return [];
    try {
      return await this.source.reread(ids);
    } catch (err) {
      // Not read: due again at the next refresh, not a whole staleMs later.
      for (const id of ids) this.rereadAt.delete(id);
      this.lastSweepMs = Number.NEGATIVE_INFINITY;
      throw err;
    }
  }

  private tell(rows: JobRow[]): void {
    if (rows.length) for (const l of this.changeListeners) l(rows);
  }

  private setStatus(status: LiveStatus): void {
    if (this.notice) status = { ...status, notice: this.notice };
    this.snap = { version: this.list.version, status };
    for (const l of this.listeners) l();
  }

  private sleep(ms: number): Promise<void> {
    // Stopped while a read was in flight: no timer, or it would hold the process up to a backoff after quitting.
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
