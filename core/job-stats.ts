/**
 * Summary figures over a set of job records: `aligner stats` and the live view's header.
 * Percentiles are nearest-rank over the jobs that report a duration (ended ones).
 */
import { JOB_STATUSES, type JobRecord } from "./jobs-table.ts";

export interface JobStats {
  total: number;
  /** Every known status (0 when absent), plus any unknown status met. */
  byStatus: Record<string, number>;
  /** Over jobs with a duration; undefined when none has one. */
  durationMs?: { p50: number; p95: number; max: number; count: number };
  /** Cold starts among jobs whose start kind is known. */
  cold: { cold: number; known: number; rate?: number };
  /** Error types, most frequent first. */
  errorTypes: { errorType: string; count: number }[];
  /** Sum of billed duration × memory size, the unit Lambda compute is priced in. */
  billedGbSeconds: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[rankIndex(sorted.length, p)]!;
}

const rankIndex = (n: number, p: number) => Math.min(n, Math.max(1, Math.ceil((p / 100) * n))) - 1;

/**
 * Nearest-rank percentiles without sorting: quickselect, O(n) on average. The live view computes
 * its header over every job on each refresh, which must stay well inside a frame at 100,000.
 * Reorders `values`.
 */
export function percentiles(values: Float64Array, ps: readonly number[]): number[] {
  if (values.length === 0) return ps.map(() => NaN);
  return ps.map((p) => select(values, rankIndex(values.length, p)));
}

/** The k-th smallest value (0-based); partially orders `a` around it. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot: sorted or constant inputs stay linear.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[mid]! < a[hi]!) swap(a, mid, hi);
    const pivot = a[hi]!;
    let i = lo - 1;
    let j = hi;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (j > lo && a[j]! > pivot);
      if (i >= j) break;
      swap(a, i, j);
    }
    swap(a, i, hi);
    if (i === k) return a[i]!;
    if (i < k) lo = i + 1;
    else hi = i - 1;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

export function computeStats(records: Iterable<JobRecord>): JobStats {
  const byStatus: Record<string, number> = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0]));
  let durations = new Float64Array(1024);
  let n = 0;
  const errors = new Map<string, number>();
  let total = 0;
  let cold = 0;
  let known = 0;
  let gbSeconds = 0;
  for (const r of records) {
    total++;
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (typeof r.durationMs === "number" && Number.isFinite(r.durationMs)) {
      if (n === durations.length) {
        const grown = new Float64Array(n * 2);
        grown.set(durations);
        durations = grown;
      }
      durations[n++] = r.durationMs;
    }
    if (r.coldStart !== undefined) {
      known++;
      if (r.coldStart) cold++;
    }
    if (r.errorType) errors.set(r.errorType, (errors.get(r.errorType) ?? 0) + 1);
    if (typeof r.billedDurationMs === "number" && typeof r.memorySizeMb === "number") {
      gbSeconds += (r.billedDurationMs / 1000) * (r.memorySizeMb / 1024);
    }
  }
  const stats: JobStats = {
    total,
    byStatus,
    cold: { cold, known, ...(known > 0 ? { rate: cold / known } : {}) },
    errorTypes: [...errors]
      .map(([errorType, count]) => ({ errorType, count }))
      .sort((a, b) => b.count - a.count || (a.errorType < b.errorType ? -1 : 1)),
    billedGbSeconds: gbSeconds,
  };
  if (n > 0) {
    const values = durations.subarray(0, n);
    let max = -Infinity;
    for (const v of values) max = Math.max(max, v);
    const [p50, p95] = percentiles(values, [50, 95]) as [number, number];
    stats.durationMs = { p50, p95, max, count: n };
  }
  return stats;
}

/** `850 ms`, `12.3 s`, `4m 05s`: durations for humans. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}
