/**
 * The live view's jobs, newest first, updated in place. A refresh brings a handful of changed
 * records; each is placed by binary search instead of re-sorting the list, so a refresh costs
 * O(changes × log n) comparisons (plus array moves) at 10,000 or 100,000 jobs. Writes arrive out
 * of order (index replication, overlapping reads); the one with the later `updatedKey` wins.
 */
import type { JobRow } from "../core/job-item.ts";

export class JobList {
  private readonly byId = new Map<string, JobRow>();
  /** Descending by sortKey (unique: it ends with the request id). */
  private readonly sorted: JobRow[] = [];
  /** Grows with every effective change: a cheap key for memoising derived views. */
  version = 0;

  constructor(private readonly maxJobs = Number.POSITIVE_INFINITY) {}

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
      if (old) this.sorted.splice(this.indexOf(old), 1);
      this.sorted.splice(this.insertionPoint(row.sortKey), 0, row);
      this.byId.set(id, row);
      changed.push(row);
    }
    // Oldest go first when the list is full.
    while (this.sorted.length > this.maxJobs) {
      const gone = this.sorted.pop()!;
      this.byId.delete(gone.record.requestId);
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
    for (let i = this.insertionPoint(row.sortKey); i < this.sorted.length && this.sorted[i]!.sortKey === row.sortKey; i++) {
      if (this.sorted[i] === row) return i;
    }
    return this.sorted.indexOf(row);
  }
}
