/** Rules of the summary figures (core/job-stats.ts): nearest-rank percentiles, counts, cold-start rate, error ranking, GB-seconds, durations for humans. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeStats, formatDuration, percentile, percentiles } from "../../core/job-stats.ts";
import { JOB_STATUSES, type JobRecord } from "../../core/jobs-table.ts";

/** Nearest-rank, from its definition: the smallest value with at least p % of the values at or below it. */
function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  for (const v of sorted) if (sorted.filter((x) => x <= v).length >= (p / 100) * sorted.length) return v;
  return sorted[sorted.length - 1]!;
}

const durations = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 });
const ps = fc.oneof(fc.constantFrom(0, 1, 50, 95, 99, 100), fc.integer({ min: 0, max: 100 }));

describe("percentiles", () => {
  it("a percentile is the nearest rank: the smallest value with at least p % of the values at or below it", () => {
    fc.assert(
      fc.property(durations, ps, (values, p) => {
        const sorted = [...values].sort((a, b) => a - b);
        expect(percentile(sorted, p)).toBe(nearestRank(values, p));
        expect(percentiles(Float64Array.from(values), [p])).toEqual([nearestRank(values, p)]);
      }),
    );
  });

  it("quickselect gives the sorted answer for sorted, reversed, constant and duplicated inputs", () => {
    const shapes = fc.oneof(
      durations.map((v) => [...v].sort((a, b) => a - b)),
      durations.map((v) => [...v].sort((a, b) => b - a)),
      fc
        .tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.integer({ min: 1, max: 200 }))
        .map(([v, n]) => Array(n).fill(v)),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 200 }),
    );
    fc.assert(
      fc.property(shapes, fc.array(ps, { minLength: 1, maxLength: 4 }), (values, wanted) => {
        expect(percentiles(Float64Array.from(values), wanted)).toEqual(wanted.map((p) => nearestRank(values, p)));
      }),
    );
  });

  it("no values, no percentile", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(percentiles(new Float64Array(0), [50, 95])).toEqual([Number.NaN, Number.NaN]);
  });
});

const record = fc.record(
  {
    requestId: fc.uuid(),
    status: fc.oneof(fc.constantFrom(...JOB_STATUSES), fc.constant("CANCELLED")),
    attempts: fc.integer({ min: 1, max: 3 }),
    durationMs: fc.oneof(fc.double({ min: 0, max: 900_000, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)),
    billedDurationMs: fc.integer({ min: 1, max: 900_000 }),
    memorySizeMb: fc.constantFrom(128, 1024, 2048, 10_240),
    coldStart: fc.boolean(),
    errorType: fc.constantFrom("Runtime.OutOfMemory", "InvalidInput", "TypeError", ""),
  },
  { requiredKeys: ["requestId", "status", "attempts"] },
) as fc.Arbitrary<JobRecord>;

describe("summary figures", () => {
  it("counts every job by status (known ones even at 0), durations of those that have one, cold starts among the known", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 2500 }), (rs) => {
        const s = computeStats(rs);
        expect(s.total).toBe(rs.length);
        for (const st of JOB_STATUSES) expect(s.byStatus[st]).toBe(rs.filter((r) => r.status === st).length);
        // A status this version does not know is counted under its own name.
        const unknown = rs.filter((r) => (r.status as string) === "CANCELLED").length;
        expect(s.byStatus["CANCELLED"]).toBe(unknown > 0 ? unknown : undefined);
        const ds = rs.map((r) => r.durationMs).filter((d): d is number => typeof d === "number" && Number.isFinite(d));
        if (ds.length === 0) expect(s.durationMs).toBeUndefined();
        else
          expect(s.durationMs).toEqual({
            p50: nearestRank(ds, 50),
            p95: nearestRank(ds, 95),
            max: Math.max(...ds),
            count: ds.length,
          });
        const known = rs.filter((r) => r.coldStart !== undefined);
        const cold = known.filter((r) => r.coldStart).length;
        expect(s.cold).toEqual(
          known.length > 0 ? { cold, known: known.length, rate: cold / known.length } : { cold: 0, known: 0 },
        );
      }),
      { numRuns: 60 },
    );
  });

  it("error types are ranked by count, then by name; jobs without one are not counted", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), (rs) => {
        const { errorTypes } = computeStats(rs);
        const counts = new Map<string, number>();
        for (const r of rs) if (r.errorType) counts.set(r.errorType, (counts.get(r.errorType) ?? 0) + 1);
        expect(new Map(errorTypes.map((e) => [e.errorType, e.count]))).toEqual(counts);
        for (let i = 1; i < errorTypes.length; i++) {
          const [a, b] = [errorTypes[i - 1]!, errorTypes[i]!];
          expect(a.count > b.count || (a.count === b.count && a.errorType < b.errorType)).toBe(true);
        }
      }),
    );
  });

  it("billed GB-seconds are billed seconds times memory in GB, summed over jobs that give both", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), (rs) => {
        const expected = rs.reduce(
          (sum, r) =>
            r.billedDurationMs !== undefined && r.memorySizeMb !== undefined
              ? sum + (r.billedDurationMs / 1000) * (r.memorySizeMb / 1024)
              : sum,
          0,
        );
        expect(computeStats(rs).billedGbSeconds).toBeCloseTo(expected, 6);
      }),
    );
    expect(
      computeStats([{ requestId: "r", status: "SUCCEEDED", attempts: 1, billedDurationMs: 2000, memorySizeMb: 2048 }])
        .billedGbSeconds,
    ).toBe(4);
  });

  it("reads any iterable once (the live view passes a generator)", () => {
    function* gen(): Generator<JobRecord> {
      yield { requestId: "a", status: "SUCCEEDED", attempts: 1, durationMs: 10 };
      yield { requestId: "b", status: "FAILED", attempts: 1, durationMs: 30, errorType: "X" };
    }
    expect(computeStats(gen())).toMatchObject({ total: 2, durationMs: { p50: 10, p95: 30, max: 30, count: 2 } });
  });
});

describe("durations for humans", () => {
  it("under 10 ms with a tenth, under a second in whole ms, under a minute in seconds, then minutes and two-digit seconds", () => {
    expect(formatDuration(undefined)).toBe("-");
    expect(formatDuration(Number.NaN)).toBe("-");
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe("-");
    expect([0, 1.26, 9.94, 10, 99.5, 999.4].map(formatDuration)).toEqual([
      "0.0 ms",
      "1.3 ms",
      "9.9 ms",
      "10 ms",
      "100 ms",
      "999 ms",
    ]);
    expect([1000, 9994, 10_000, 59_940].map(formatDuration)).toEqual(["1.00 s", "9.99 s", "10.0 s", "59.9 s"]);
    expect([60_000, 65_000, 245_000, 3_600_000].map(formatDuration)).toEqual(["1m 00s", "1m 05s", "4m 05s", "60m 00s"]);
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: 86_400_000 }), (ms) => {
        const m = /^(\d+)m (\d\d)s$/.exec(formatDuration(ms));
        expect(m).not.toBeNull();
        expect(Number(m![1]) * 60 + Number(m![2])).toBe(Math.round(ms / 1000));
      }),
    );
  });
});
