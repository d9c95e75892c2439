/**
 * Rules of reading the jobs table through its indexes (core/job-queries.ts): the partitions read
 * are exactly those records are written to, and a key range selects exactly the records of its
 * time range — checked by evaluating the range as DynamoDB's BETWEEN does (string order) over the
 * keys the writer gives (jobIndexKeys).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  activityPartitions,
  activityRange,
  activityWindow,
  historyFilter,
  pageLimit,
  startedRange,
  statusPartitions,
  type ItemFilter,
  type KeyRange,
} from "../../core/job-queries.ts";
import {
  INDEX_SHARDS,
  JOB_RECORD_FIELDS,
  JOB_STATUSES,
  jobIndexKeys,
  JOBS_TABLE,
  type JobRecord,
} from "../../core/jobs-table.ts";

const between = (key: string, r: KeyRange) => r.lo <= key && key <= r.hi;
const statuses = fc.constantFrom(...JOB_STATUSES);
/** Times a Date can write as a 4-digit-year ISO string (the index keys' time part). */
const times = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
const iso = (ms: number) => new Date(ms).toISOString();

describe("index partitions", () => {
  it("a job is written to one of the partitions its status is read from, and to one of the activity partitions", () => {
    fc.assert(
      fc.property(fc.uuid(), statuses, times, (requestId, status, t) => {
        const keys = jobIndexKeys({ requestId, status, sortTime: iso(t), updatedAt: iso(t) });
        expect(statusPartitions([status]).map((p) => p.key)).toContain(keys.statusShard);
        expect(statusPartitions().map((p) => p.key)).toContain(keys.statusShard);
        expect(activityPartitions().map((p) => p.key)).toContain(keys.activityShard);
        const others = JOB_STATUSES.filter((s) => s !== status);
        expect(statusPartitions(others).map((p) => p.key)).not.toContain(keys.statusShard);
      }),
    );
  });

  it("every status and shard is read once, on the index's own key attributes", () => {
    fc.assert(
      fc.property(
        fc.subarray([...JOB_STATUSES], { minLength: 1 }),
        fc.integer({ min: 1, max: 16 }),
        (wanted, shards) => {
          const ps = statusPartitions(wanted, shards);
          expect(ps).toHaveLength(wanted.length * shards);
          expect(new Set(ps.map((p) => p.key)).size).toBe(ps.length);
          for (const p of ps) {
            expect(p).toMatchObject({
              index: "byStatus",
              keyName: JOBS_TABLE.indexes.byStatus.partitionKey,
              sortName: JOBS_TABLE.indexes.byStatus.sortKey,
            });
          }
          const act = activityPartitions(shards);
          expect(act).toHaveLength(shards);
          expect(new Set(act.map((p) => p.key)).size).toBe(shards);
          for (const p of act) {
            expect(p).toMatchObject({
              index: "byActivity",
              keyName: JOBS_TABLE.indexes.byActivity.partitionKey,
              sortName: JOBS_TABLE.indexes.byActivity.sortKey,
            });
          }
        },
      ),
    );
    expect(statusPartitions()).toHaveLength(JOB_STATUSES.length * INDEX_SHARDS);
    expect(activityPartitions()).toHaveLength(INDEX_SHARDS);
  });
});

describe("key ranges", () => {
  it("[since, until) selects exactly the jobs that started in it, the upper instant excluded", () => {
    fc.assert(
      fc.property(fc.uuid(), times, times, times, (requestId, a, b, t) => {
        const [since, until] = a <= b ? [a, b] : [b, a];
        const { startedKey } = jobIndexKeys({ requestId, status: "RUNNING", sortTime: iso(t), updatedAt: iso(t) });
        expect(between(startedKey, startedRange(since, until))).toBe(since <= t && t < until);
        // The edges themselves.
        const at = (ms: number) =>
          jobIndexKeys({ requestId, status: "RUNNING", sortTime: iso(ms), updatedAt: iso(ms) });
        expect(between(at(since).startedKey, startedRange(since, until))).toBe(since < until);
        expect(between(at(until).startedKey, startedRange(since, until))).toBe(false);
      }),
    );
  });

  it("(after, upto] selects exactly the records written since the previous refresh; no 'after' means from the start", () => {
    fc.assert(
      fc.property(fc.uuid(), times, times, times, (requestId, a, b, w) => {
        const [after, upto] = a <= b ? [a, b] : [b, a];
        const { updatedKey } = jobIndexKeys({ requestId, status: "SUCCEEDED", sortTime: iso(w), updatedAt: iso(w) });
        expect(between(updatedKey, activityRange(after, upto))).toBe(after < w && w <= upto);
        expect(between(updatedKey, activityRange(undefined, upto))).toBe(w <= upto);
      }),
    );
  });

  it("[since, upto] (the first load) selects the records written in it, both instants included", () => {
    fc.assert(
      fc.property(fc.uuid(), times, times, times, (requestId, a, b, w) => {
        const [since, upto] = a <= b ? [a, b] : [b, a];
        const key = (ms: number) =>
          jobIndexKeys({ requestId, status: "FAILED", sortTime: iso(ms), updatedAt: iso(ms) }).updatedKey;
        expect(between(key(w), activityWindow(since, upto))).toBe(since <= w && w <= upto);
        expect(between(key(since), activityWindow(since, upto))).toBe(true);
        expect(between(key(upto), activityWindow(since, upto))).toBe(true);
      }),
    );
  });

  it("consecutive refreshes neither miss nor repeat a write: (a, b] and (b, c] split (a, c]", () => {
    fc.assert(
      fc.property(fc.uuid(), times, times, times, times, (requestId, x, y, z, w) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
        const { updatedKey } = jobIndexKeys({ requestId, status: "RUNNING", sortTime: iso(w), updatedAt: iso(w) });
        const inFirst = between(updatedKey, activityRange(a, b));
        const inSecond = between(updatedKey, activityRange(b, c));
        expect(inFirst && inSecond).toBe(false);
        expect(inFirst || inSecond).toBe(between(updatedKey, activityRange(a, c)));
      }),
    );
  });
});

/**
 * Evaluates the two forms historyFilter writes, as DynamoDB does: `begins_with(#n, :v)` and
 * `#n = :v`, joined by AND or OR (left to right, as there are no parentheses).
 */
function evaluate(f: ItemFilter, item: Record<string, unknown>): boolean {
  const value = (token: string) => {
    if (!(token in f.values)) throw new Error(`undefined value ${token}`);
    return f.values[token];
  };
  const attr = (token: string) => {
    const name = f.names[token];
    if (name === undefined) throw new Error(`undefined name ${token}`);
    return item[name];
  };
  const term = (t: string): boolean => {
    const bw = /^begins_with\((#\w+), (:\w+)\)$/.exec(t);
    if (bw) {
      const a = attr(bw[1]!);
      return typeof a === "string" && a.startsWith(value(bw[2]!) as string);
    }
    const eq = /^(#\w+) = (:\w+)$/.exec(t);
    if (eq) return attr(eq[1]!) === value(eq[2]!);
    throw new Error(`unknown term ${t}`);
  };
  const tokens = f.expression.split(/ (AND|OR) /);
  let result = term(tokens[0]!);
  for (let i = 1; i < tokens.length; i += 2)
    result = tokens[i] === "AND" ? result && term(tokens[i + 1]!) : result || term(tokens[i + 1]!);
  return result;
}

describe("history filters", () => {
  const keys = fc.constantFrom("batch-1/a.fasta", "batch-1/b.fa", "batch-2/a.fasta", "a.fasta", "");
  it("a filter keeps exactly the jobs under the input prefix and, if asked, the cold starts; no filter means none at all", () => {
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom("", "batch-1/", "batch-", "a", "zzz"), { nil: undefined }),
        fc.option(fc.boolean(), { nil: undefined }),
        keys,
        fc.option(fc.boolean(), { nil: undefined }),
        (inputPrefix, cold, inputKey, coldStart) => {
          const f = historyFilter({
            ...(inputPrefix !== undefined ? { inputPrefix } : {}),
            ...(cold !== undefined ? { cold } : {}),
          });
          const wantsPrefix = inputPrefix !== undefined && inputPrefix !== "";
          if (!wantsPrefix && !cold) {
            expect(f).toBeUndefined();
            return;
          }
          expect(f).toBeDefined();
          const item: Partial<JobRecord> = { inputKey, ...(coldStart !== undefined ? { coldStart } : {}) };
          const expected = (!wantsPrefix || inputKey.startsWith(inputPrefix)) && (!cold || coldStart === true);
          expect(evaluate(f!, item)).toBe(expected);
          // It reads record fields only, and names no attribute or value it does not use.
          for (const name of Object.values(f!.names)) expect(JOB_RECORD_FIELDS as readonly string[]).toContain(name);
          for (const token of [...Object.keys(f!.names), ...Object.keys(f!.values)])
            expect(f!.expression).toContain(token);
        },
      ),
    );
  });
});

describe("page limits", () => {
  it("with no limit each page is a full page", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 64 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 5000 }),
        (active, first, max) => {
          expect(pageLimit(undefined, active, first, max)).toBe(max);
        },
      ),
    );
    expect(pageLimit(undefined, 4)).toBe(1000);
  });

  it("a page asks for at least one item and at most a full page", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 64 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 5000 }),
        (remaining, active, first, max) => {
          const limit = pageLimit(remaining, active, first, max);
          expect(limit).toBeGreaterThanOrEqual(1);
          expect(limit).toBeLessThanOrEqual(max);
        },
      ),
    );
  });

  it("after the first round each partition asks for its full share: together they can finish in one more round", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 64 }), (remaining, active) => {
        const limit = pageLimit(remaining, active, false, 1_000_000);
        expect(limit * active).toBeGreaterThanOrEqual(remaining);
        expect((limit - 1) * active).toBeLessThan(remaining);
      }),
    );
    // No active partition is read as one (the whole remainder).
    expect(pageLimit(7, 0, false)).toBe(7);
  });

  it("on the first round each partition asks for 85 % of its share (rounded down, at least one), less than a full share", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 64 }), (remaining, active) => {
        const first = pageLimit(remaining, active, true, 1_000_000);
        expect(first).toBe(Math.max(1, Math.floor((0.85 * remaining) / active)));
        expect(first).toBeLessThanOrEqual(pageLimit(remaining, active, false, 1_000_000));
      }),
    );
    expect(pageLimit(100, 4, true)).toBe(21);
    expect(pageLimit(100_000, 4, true)).toBe(1000);
  });
});
