/**
 * What the user has chosen in the live view — status filter, search, selected job, scroll — as
 * a pure reducer, apart from React and from the data. The selection follows a job, not a line:
 * when new jobs arrive above it, the selected job keeps its place on screen and the rows around
 * it move. With nothing selected (or after Home) the view follows the newest job.
 */
import type { JobStatus } from "../core/jobs-table.ts";
import type { JobRow } from "../core/job-item.ts";

export type StatusFilter = "ALL" | JobStatus;

/** Keys 0-4 choose the filter. */
export const FILTER_KEYS: Record<string, StatusFilter> = {
  "0": "ALL",
  "1": "RUNNING",
  "2": "SUCCEEDED",
  "3": "FAILED",
  "4": "TIMED_OUT",
};

export interface ViewState {
  mode: "table" | "search" | "detail";
  filter: StatusFilter;
  /** Applied search: request id or input key contains it (case-insensitive). */
  search: string;
  /** Search text being typed after `/`. */
  draft: string;
  /** The selected job; undefined = follow the newest. */
  selectedId?: string;
  /** Where the selection was, for when its job leaves the filtered list. */
  lastIndex: number;
  /** Screen line of the selection inside the table. */
  screenRow: number;
}

export const initialViewState: ViewState = {
  mode: "table",
  filter: "ALL",
  search: "",
  draft: "",
  lastIndex: 0,
  screenRow: 0,
};

export type ViewAction =
  | { type: "move"; delta: number }
  | { type: "page"; direction: 1 | -1 }
  | { type: "home" }
  | { type: "end" }
  | { type: "filter"; filter: StatusFilter }
  | { type: "searchStart" }
  | { type: "searchInput"; text: string }
  | { type: "searchBackspace" }
  | { type: "searchApply" }
  | { type: "searchCancel" }
  | { type: "open" }
  | { type: "close" };

export function selectJobs(all: readonly JobRow[], filter: StatusFilter, search: string): readonly JobRow[] {
  const needle = search.trim().toLowerCase();
  if (filter === "ALL" && needle === "") return all;
  return all.filter((row) => {
    const r = row.record;
    if (filter !== "ALL" && r.status !== filter) return false;
    if (needle === "") return true;
    return r.requestId.toLowerCase().includes(needle) || (r.inputKey ?? "").toLowerCase().includes(needle);
  });
}

/** Index of the selected job in `jobs` (sorted newest first by sortKey). */
export function selectedIndex(state: ViewState, jobs: readonly JobRow[], current?: JobRow): number {
  if (jobs.length === 0) return 0;
  if (state.selectedId === undefined) return 0;
  if (current) {
    // Binary search by the job's current sort key, then check the id.
    let lo = 0;
    let hi = jobs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (jobs[mid]!.sortKey > current.sortKey) lo = mid + 1;
      else hi = mid;
    }
    if (jobs[lo]?.record.requestId === state.selectedId) return lo;
  }
  const i = jobs.findIndex((j) => j.record.requestId === state.selectedId);
  return i >= 0 ? i : Math.min(state.lastIndex, jobs.length - 1);
}

export interface VisibleWindow {
  offset: number;
  selected: number;
  rows: readonly JobRow[];
}

export function visibleWindow(
  state: ViewState,
  jobs: readonly JobRow[],
  height: number,
  current?: JobRow,
): VisibleWindow {
  const h = Math.max(1, height);
  const selected = selectedIndex(state, jobs, current);
  const maxOffset = Math.max(0, jobs.length - h);
  const offset = Math.min(maxOffset, Math.max(0, selected - Math.min(state.screenRow, h - 1)));
  return { offset, selected, rows: jobs.slice(offset, offset + h) };
}

export interface ViewContext {
  /** Every job held, newest first (the reducer applies the state's filter and search itself). */
  all: readonly JobRow[];
  /** Rows of the table on screen. */
  height: number;
  /** The current row of a job by id. */
  lookup: (requestId: string) => JobRow | undefined;
}

/**
 * The next state. Pure, and computed from the state it is given (not from what the screen
 * showed), so several keys read in one chunk apply one after another correctly.
 */
export function reduceView(state: ViewState, action: ViewAction, view: ViewContext): ViewState {
  switch (action.type) {
    case "filter":
      return { ...state, filter: action.filter, lastIndex: 0, screenRow: 0, selectedId: undefined } as ViewState;
    case "searchStart":
      return { ...state, mode: "search", draft: state.search };
    case "searchInput":
      return { ...state, draft: state.draft + action.text };
    case "searchBackspace":
      return { ...state, draft: [...state.draft].slice(0, -1).join("") };
    case "searchApply":
      return {
        ...state,
        mode: "table",
        search: state.draft.trim(),
        lastIndex: 0,
        screenRow: 0,
        selectedId: undefined,
      } as ViewState;
    case "searchCancel":
      return {
        ...state,
        mode: "table",
        draft: "",
        search: "",
        lastIndex: 0,
        screenRow: 0,
        selectedId: undefined,
      } as ViewState;
    default:
      break;
  }
  const jobs = selectJobs(view.all, state.filter, state.search);
  const current = state.selectedId === undefined ? undefined : view.lookup(state.selectedId);
  return moveSelection(state, action, { jobs, height: view.height, ...(current ? { current } : {}) });
}

function moveSelection(
  state: ViewState,
  action: ViewAction,
  ctx: { jobs: readonly JobRow[]; height: number; current?: JobRow },
): ViewState {
  const h = Math.max(1, ctx.height);
  const n = ctx.jobs.length;
  const select = (index: number, screenRow: number): ViewState => {
    if (n === 0) return { ...state, selectedId: undefined, lastIndex: 0, screenRow: 0 } as ViewState;
    const i = Math.min(n - 1, Math.max(0, index));
    const next: ViewState = { ...state, lastIndex: i, screenRow: Math.min(i, h - 1, Math.max(0, screenRow)) };
    if (i === 0) delete next.selectedId;
    else next.selectedId = ctx.jobs[i]!.record.requestId;
    return next;
  };
  const at = selectedIndex(state, ctx.jobs, ctx.current);
  const row = Math.min(at, Math.min(state.screenRow, h - 1));
  switch (action.type) {
    case "move":
      return select(at + action.delta, row + action.delta);
    case "page":
      return select(at + action.direction * h, row);
    case "home":
      return select(0, 0);
    case "end":
      return select(n - 1, h - 1);
    case "open":
      return n === 0 ? state : { ...select(at, row), mode: "detail", selectedId: ctx.jobs[at]!.record.requestId };
    case "close":
      return { ...state, mode: "table", ...(at === 0 ? { selectedId: undefined } : {}) } as ViewState;
    default:
      return state;
  }
}
