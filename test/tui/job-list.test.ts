/** The live view's list under any order of updates: the latest write of each job wins, newest first, capped. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JobRow } from "../../core/job-item.ts";
import { JobList } from "../../tui/job-list.ts";
import { computeStats } from "../../core/job-stats.ts";

const row = (id: number, startSec: number, updSec: number, status = "RUNNING"): JobRow => {
  const requestId = `req-${String(id).padStart(3, "0")}`;
  const t = (s: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, s)).toISOString();
  return {
    record: { requestId, status: status as JobRow["record"]["status"], attempts: 1, startedAt: t(startSec) },
    sortKey: `${t(startSec)}#${requestId}`,
    updatedKey: `${t(updSec)}#${requestId}`,
  };
};

describe("JobList", () => {
  it("holds the latest write of each job, sorted newest first, whatever the order and duplication of updates", () => {
    const update = fc.record({
      id: fc.integer({ min: 0, max: 30 }),
      start: fc.integer({ min: 0, max: 50 }),
      upd: fc.integer({ min: 0, max: 59 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(update, { maxLength: 12 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        (batches, max) => {
          const list = new JobList(max);
          const latest = new Map<string, JobRow>();
          for (const batch of batches) {
            const rows = batch.map((u) => row(u.id, u.start, u.upd));
            list.upsert(rows);
            for (const r of rows) {
              const old = latest.get(r.record.requestId);
              if (!old || old.updatedKey < r.updatedKey) latest.set(r.record.requestId, r);
            }
            // The model: every job's latest row, newest first, the oldest dropped beyond max — but a
            // job dropped for age may come back with a newer write, so compare only what the list holds.
            const held = list.all();
            expect(held.length).toBeLessThanOrEqual(max);
            for (let i = 1; i < held.length; i++) expect(held[i - 1]!.sortKey > held[i]!.sortKey).toBe(true);
            for (const r of held) {
              expect(list.get(r.record.requestId)).toBe(r);
              expect(r.updatedKey <= latest.get(r.record.requestId)!.updatedKey).toBe(true);
            }
          }
          if (max >= 31) {
            const expected = [...latest.values()].sort((a, b) => (a.sortKey > b.sortKey ? -1 : 1));
            expect(list.all().map((r) => r.updatedKey)).toEqual(expected.map((r) => r.updatedKey));
          }
        },
      ),
    );
  });

  it("keeps per-status figures (counts, duration percentiles, cold starts) equal to a pass over what it holds", () => {
    const update = fc.record({
      id: fc.integer({ min: 0, max: 40 }),
      start: fc.integer({ min: 0, max: 50 }),
      upd: fc.integer({ min: 0, max: 59 }),
      status: fc.constantFrom("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"),
      duration: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      cold: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(update, { maxLength: 120 }), fc.integer({ min: 5, max: 50 }), (updates, max) => {
        const list = new JobList(max);
        for (const u of updates) {
          const r = row(u.id, u.start, u.upd, u.status);
          if (u.duration !== undefined) r.record.durationMs = u.duration;
          if (u.cold !== undefined) r.record.coldStart = u.cold;
          list.upsert([r]);
        }
        for (const filter of ["ALL", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"]) {
          const held = list
            .all()
            .filter((r) => filter === "ALL" || r.record.status === filter)
            .map((r) => r.record);
          const expected = computeStats(held);
          const got = list.stats(filter);
          expect(got.total).toBe(expected.total);
          expect(got.cold).toEqual(expected.cold);
          expect(got.durationMs).toEqual(expected.durationMs);
        }
        expect(list.counts().total).toBe(list.size);
        expect([...list.running()].sort((a, b) => (a.sortKey < b.sortKey ? 1 : -1))).toEqual(
          list.all().filter((r) => r.record.status === "RUNNING"),
        );
      }),
    );
  });

  it("moves a job when its start time becomes known, and counts only effective changes", () => {
    const list = new JobList();
    list.upsert([row(1, 10, 10), row(2, 20, 20)]);
    const v = list.version;
    expect(list.upsert([row(1, 10, 10)])).toHaveLength(0);
    expect(list.version).toBe(v);
    list.upsert([row(1, 30, 31, "SUCCEEDED")]);
    expect(list.all().map((r) => r.record.requestId)).toEqual(["req-001", "req-002"]);
    expect(list.get("req-001")!.record.status).toBe("SUCCEEDED");
    expect(list.upsert([row(1, 30, 25, "RUNNING")])).toHaveLength(0);
  });
});
