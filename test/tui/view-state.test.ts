/** Selection, scrolling, filter and search as a pure reducer. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JobRow } from "../../core/job-item.ts";
import { JobList } from "../../tui/job-list.ts";
import {
  initialViewState,
  reduceView,
  selectJobs,
  visibleWindow,
  type ViewAction,
  type ViewState,
} from "../../tui/view-state.ts";
import { generateJobs } from "../helpers/job-records.ts";
import { readJobItem } from "../../core/job-item.ts";
import { jobItem } from "../helpers/job-records.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const rowsOf = (n: number, newestMs = NOW, seed = 3): JobRow[] =>
  generateJobs(n, { newestMs, spacingMs: 10_000, seed }).map((j) => readJobItem(jobItem(j))!);

function setup(n: number, height = 10) {
  const list = new JobList();
  list.upsert(rowsOf(n));
  const ctx = () => ({ all: list.all(), height, lookup: (id: string) => list.get(id) });
  let state: ViewState = initialViewState;
  const act = (...actions: ViewAction[]) => {
    for (const a of actions) state = reduceView(state, a, ctx());
    const jobs = selectJobs(list.all(), state.filter, state.search);
    return {
      state,
      jobs,
      win: visibleWindow(state, jobs, height, state.selectedId ? list.get(state.selectedId) : undefined),
    };
  };
  return { list, act };
}

describe("view state", () => {
  it("scrolls with the selection: down, page down, end, home", () => {
    const { act } = setup(100, 10);
    let v = act({ type: "move", delta: 3 });
    expect(v.win).toMatchObject({ offset: 0, selected: 3 });
    v = act({ type: "page", direction: 1 });
    expect(v.win.selected).toBe(13);
    expect(v.win.selected - v.win.offset).toBe(3);
    v = act({ type: "end" });
    expect(v.win).toMatchObject({ selected: 99, offset: 90 });
    expect(v.win.rows).toHaveLength(10);
    v = act({ type: "home" });
    expect(v.win).toMatchObject({ selected: 0, offset: 0 });
    expect(v.state.selectedId).toBeUndefined();
  });

  it("keeps the selected job on its screen line when newer jobs arrive above it", () => {
    const { list, act } = setup(50, 10);
    const before = act({ type: "move", delta: 4 });
    const selected = before.jobs[before.win.selected]!.record.requestId;
    list.upsert(rowsOf(5, NOW + 600_000, 99));
    const after = act();
    expect(after.jobs[after.win.selected]!.record.requestId).toBe(selected);
    expect(after.win.selected - after.win.offset).toBe(4);
    expect(after.win.offset).toBe(5);
  });

  it("follows the newest job when nothing is selected", () => {
    const { list, act } = setup(20, 5);
    list.upsert(rowsOf(1, NOW + 600_000, 42));
    const v = act();
    expect(v.win.selected).toBe(0);
    expect(v.win.rows[0]!.record.startedAt).toBe(new Date(NOW + 600_000).toISOString());
  });

  it("filters by status and searches by request id or input, case-insensitively", () => {
    const { list, act } = setup(200, 10);
    let v = act({ type: "filter", filter: "FAILED" });
    expect(v.jobs.length).toBeGreaterThan(0);
    expect(v.jobs.every((j) => j.record.status === "FAILED")).toBe(true);
    const target = list.all()[17]!.record;
    v = act(
      { type: "filter", filter: "ALL" },
      { type: "searchStart" },
      ...[...target.requestId.slice(0, 6).toUpperCase()].map((text) => ({ type: "searchInput" as const, text })),
      { type: "searchApply" },
    );
    expect(v.state).toMatchObject({ mode: "table", search: target.requestId.slice(0, 6).toUpperCase() });
    expect(v.jobs.map((j) => j.record.requestId)).toContain(target.requestId);
    v = act({ type: "searchStart" }, { type: "searchBackspace" }, { type: "searchCancel" });
    expect(v.jobs).toHaveLength(200);
    v = act({ type: "searchStart" }, { type: "searchInput", text: "sample-17.fasta" }, { type: "searchApply" });
    expect(v.jobs.map((j) => j.record.inputKey)).toEqual(["batch-3/sample-17.fasta"]);
  });

  it("whatever the keys, the selection stays inside the list and on screen", () => {
    const action = fc.oneof(
      fc.integer({ min: -30, max: 30 }).map((delta): ViewAction => ({ type: "move", delta })),
      fc.constantFrom<ViewAction>(
        { type: "page", direction: 1 },
        { type: "page", direction: -1 },
        { type: "home" },
        { type: "end" },
        { type: "filter", filter: "FAILED" },
        { type: "filter", filter: "ALL" },
        { type: "open" },
        { type: "close" },
      ),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 25 }),
        fc.array(action, { maxLength: 25 }),
        (n, height, actions) => {
          const { act } = setup(n, height);
          for (const a of actions) {
            const v = act(a);
            if (v.jobs.length === 0) continue;
            expect(v.win.selected).toBeGreaterThanOrEqual(0);
            expect(v.win.selected).toBeLessThan(v.jobs.length);
            expect(v.win.selected).toBeGreaterThanOrEqual(v.win.offset);
            expect(v.win.selected).toBeLessThan(v.win.offset + height);
            expect(v.win.rows.length).toBe(Math.min(height, v.jobs.length));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
