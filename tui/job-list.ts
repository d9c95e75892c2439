/**
 * The live view's jobs, newest first, updated in place. A refresh brings a handful of changed
 * records; each is placed by binary search instead of re-sorting the list, so a refresh costs
 * O(changes × log n) comparisons (plus array moves) at 10,000 or 100,000 jobs. Writes arrive out
 * of order (index replication, overlapping reads); the one with the later `updatedKey` wins.
 */
import type { JobRow } from "../core/job-item.ts";
import { percentile, type JobStats } from "../core/job-stats.ts";

/** What the header shows for a set of jobs. */
export type ViewStats = Pick<JobStats, "total" | "durationMs" | "cold">;

/** Running figures of one status (or of all): kept as jobs come and go, so reading them is O(1). */
class Aggregate {
  count = 0;
  /** Ascending. */
  readonly durations: number[] = [];
  cold = 0;
  coldKnown = 0;

  change(row: JobRow, sign: 1 | -1): void {
    const r = row.record;
    this.count += sign;
    if (r.coldStart !== undefined) {
      this.coldKnown += sign;
      if (r.coldStart) this.cold += sign;
    }
    const d = r.durationMs;
    if (typeof d !== "number" || !Number.isFinite(d)) return;
    const i = lowerBound(this.durations, d);
    if (sign > 0) this.durations.splice(i, 0, d);
    else if (this.durations[i] === d) this.durations.splice(i, 1);
  }

  stats(): ViewStats {
    const n = this.durations.length;
    const out: ViewStats = {
      total: this.count,
      cold: {
        cold: this.cold,
        known: this.coldKnown,
        ...(this.coldKnown > 0 ? { rate: this.cold / this.coldKnown } : {}),
      },
    };
    if (n > 0)
      out.durationMs = {
        p50: percentile(this.durations, 50),
        p95: percentile(this.durations, 95),
        max: this.durations[n - 1]!,
        count: n,
      };
    return out;
  }
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class JobList {
  private readonly byId = new Map<string, JobRow>();
  /** Descending by sortKey (unique: it ends with the request id). */
  private readonly sorted: JobRow[] = [];
  /** Figures per status, and of all jobs under "*". */
  private readonly aggregates = new Map<string, Aggregate>([["*", new Aggregate()]]);
  private readonly runningRows = new Set<JobRow>();
  /** Grows with every effective change: a cheap key for memoising derived views. */
  version = 0;

  constructor(private readonly maxJobs = Number.POSITIVE_INFINITY) {}

  /** Jobs per status. */
  counts(): { total: number; byStatus: Record<string, number> } {
    const byStatus: Record<string, number> = {};
    for (const [status, a] of this.aggregates) if (status !== "*") byStatus[status] = a.count;
    return { total: this.sorted.length, byStatus };
  }

  /** Header figures of all jobs, or of one status, without a pass over the list. */
  stats(status: string | "ALL"): ViewStats {
    const a = this.aggregates.get(status === "ALL" ? "*" : status);
    return a ? a.stats() : { total: 0, cold: { cold: 0, known: 0 } };
  }

  /** The jobs whose status is RUNNING. */
  running(): ReadonlySet<JobRow> {
    return this.runningRows;
  }

  private account(row: JobRow, sign: 1 | -1): void {
    this.aggregates.get("*")!.change(row, sign);
    let a = this.aggregates.get(row.record.status);
    if (!a) this.aggregates.set(row.record.status, (a = new Aggregate()));
    a.change(row, sign);
    if (row.record.status === "RUNNING") {
      if (sign > 0) this.runningRows.add(row);
      else this.runningRows.delete(row);
    }
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Newest first. Do not mutate. */
  all(): readonly JobRow[] {
    return this.sorted;
  }

  get(requestId: string): JobRow | undefined {
    return this.byId.get(requestId);
  }

  /** Applies rows; returns those that changed what the list holds. */
  upsert(rows: Iterable<JobRow>): JobRow[] {
    const changed: JobRow[] = [];
    for (const row of rows) {
      const id = row.record.requestId;
      const old = this.byId.get(id);
      if (old && old.updatedKey >= row.updatedKey) continue;
      if (old) this.account(old, -1);
      if (old && old.sortKey === row.sortKey) {
        // The usual change (a status, a duration): same place, no shifting of the list.
        this.sorted[this.indexOf(old)] = row;
      } else {
        if (old) this.sorted.splice(this.indexOf(old), 1);
        this.sorted.splice(this.insertionPoint(row.sortKey), 0, row);
      }
      this.byId.set(id, row);
      this.account(row, 1);
      changed.push(row);
    }
    // Oldest go first when the list is full.
    while (this.sorted.length > this.maxJobs) {
      const gone = this.sorted.pop()!;
      this.byId.delete(gone.record.requestId);
      this.account(gone, -1);
    }
    if (changed.length > 0) this.version++;
    return changed;
  }

  /** First index whose key sorts after `key` in descending order. */
  private insertionPoint(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.sortKey > key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(row: JobRow): number {
    // Keys are unique for well-formed items; a hand-made item may share one, so check identity.
    for (
      let i = this.insertionPoint(row.sortKey);
      i < this.sorted.length && this.sorted[i]!.sortKey === row.sortKey;
      i++
    ) {
      if (this.sorted[i] === row) return i;
    }
    return this.sorted.indexOf(row);
  }
}
