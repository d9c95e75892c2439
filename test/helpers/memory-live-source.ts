/** A LiveSource over rows in memory, for the live view's tests and benchmark: rows to load, changes pushed by hand, injected read failures. */
import type { JobRow } from "../../core/job-item.ts";
import type { LiveSource } from "../../tui/live-jobs.ts";

export class MemoryLiveSource implements LiveSource {
  /** Rows the next refresh reports as changed. */
  pending: JobRow[] = [];
  /** The next this many loads fail as a refused connection would. */
  failures = 0;
  constructor(public rows: JobRow[]) {}
  async load() {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    }
    return { rows: this.rows, itemsRead: this.rows.length };
  }
  async changes() {
    const rows = this.pending;
    this.pending = [];
    return { rows, itemsRead: rows.length };
  }
  async reread() {
    return [];
  }
  describeError(err: unknown) {
    return `cannot reach the jobs table (${(err as Error).message})`;
  }
}
