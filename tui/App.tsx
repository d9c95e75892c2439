/**
 * The live view: header, the jobs table (only the rows that fit), the detail pane, the status
 * line. Data comes from a LiveJobs controller (tui/live-jobs.ts); what the user chose is a pure
 * reducer (tui/view-state.ts); rows are made by pure transformers (tui/rows.ts).
 */
import { Box, Text, useApp, useInput, useWindowSize, type Key } from "ink";
import {
  Component,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import type { JobRecord } from "../core/jobs-table.ts";
import type { JobRow } from "../core/job-item.ts";
import { computeStats } from "../core/job-stats.ts";
import type { LiveJobs } from "./live-jobs.ts";
import type { ViewStats } from "./job-list.ts";
import { layoutColumns } from "./rows.ts";
import {
  FILTER_KEYS,
  initialViewState,
  reduceView,
  selectJobs,
  visibleWindow,
  type ViewAction,
  type ViewState,
} from "./view-state.ts";
import { Header } from "./components/Header.tsx";
import { JobTable } from "./components/JobTable.tsx";
import { DetailPane, type LogState } from "./components/DetailPane.tsx";
import { StatusLine } from "./components/StatusLine.tsx";

export interface LogLines {
  lines: { timestamp: number; logStream: string; message: string }[];
  streams: string[];
}

export interface AppProps {
  live: LiveJobs;
  /** The target, one line (core/target.ts describeTarget). */
  target: string;
  windowLabel: string;
  loadLogs: (record: JobRecord) => Promise<LogLines>;
  /** One sentence for a failed read of the log lines (detail pane). */
  describeError: (err: unknown) => string;
  color: boolean;
  /** Terminal size; the real one (and its resizes) when absent. */
  size?: { columns: number; rows: number };
  now?: () => number;
}

/** Lines used by everything but the table rows: header 3, table header 1, status 2, spare 1. */
const CHROME_LINES = 7;

export function App(props: AppProps) {
  const windowSize = useWindowSize();
  const { columns, rows: termRows } = props.size ?? windowSize;
  const { exit } = useApp();
  const snap = useSyncExternalStore(props.live.subscribe, props.live.snapshot);
  const [view, setView] = useState<ViewState>(initialViewState);
  // Keys are applied to the latest state at once (several may arrive in one chunk).
  const viewRef = useRef(view);
  const [logScroll, setLogScroll] = useState(0);
  const [logs, setLogs] = useState<LogState>({ state: "loading" });
  const [, tick] = useReducer((n: number) => n + 1, 0);
  const height = Math.max(1, termRows - CHROME_LINES);
  const nowMs = (props.now ?? Date.now)();

  const version = snap.version;
  const all = props.live.list.all();
  // `all` is updated in place: every derived value is keyed by the list's version.
  const searched = useMemo(() => selectJobs(all, "ALL", view.search), [all, version, view.search]);
  const jobs = useMemo(
    () => (view.filter === "ALL" ? searched : selectJobs(searched, view.filter, "")),
    [searched, version, view.filter],
  );
  // Without a search the list's running figures serve (no pass over 100,000 jobs per frame).
  const counts = useMemo(
    () => (view.search ? countStatuses(searched) : props.live.list.counts()),
    [searched, version, view.search],
  );
  const shown = useMemo(
    () => (view.search ? viewStats(jobs) : props.live.list.stats(view.filter)),
    [jobs, version, view.search, view.filter],
  );
  const layout = useMemo(() => layoutColumns(columns), [columns]);
  const current = view.selectedId === undefined ? undefined : props.live.list.get(view.selectedId);
  const win = visibleWindow(view, jobs, height, current);
  const detailRow: JobRow | undefined = view.mode === "detail" ? (current ?? jobs[win.selected]) : undefined;

  // A retry countdown needs a clock tick; nothing else re-renders on a timer.
  useEffect(() => {
    if (snap.status.phase !== "retrying") return;
    const t = setInterval(tick, 1000);
    return () => clearInterval(t);
  }, [snap.status.phase]);

  const detailId = detailRow?.record.requestId;
  useEffect(() => {
    if (!detailRow) return;
    let live = true;
    setLogs({ state: "loading" });
    setLogScroll(0);
    props.loadLogs(detailRow.record).then(
      (r) => live && setLogs({ state: "ready", lines: r.lines, streams: r.streams }),
      (err: unknown) => live && setLogs({ state: "error", error: props.describeError(err) }),
    );
    return () => {
      live = false;
    };
    // Reload when another job is opened or the open job changes.
  }, [detailId, detailRow?.updatedKey]);

  const dispatch = (action: ViewAction) => {
    viewRef.current = reduceView(viewRef.current, action, {
      all: props.live.list.all(),
      height,
      lookup: (id) => props.live.list.get(id),
    });
    setView(viewRef.current);
  };

  useInput((input, key) => {
    // Keys typed faster than the terminal is read arrive as one chunk: take them one by one.
    if (input.length > 1 && !key.ctrl && !key.meta) {
      for (const ch of input)
        onKey(ch === "\r" || ch === "\n" ? "" : ch, ch === "\r" || ch === "\n" ? { ...key, return: true } : key);
      return;
    }
    onKey(input, key);
  });

  function onKey(input: string, key: Key): void {
    const view = viewRef.current;
    if (key.ctrl && input === "c") return exit();
    if (view.mode === "search") {
      if (key.escape) dispatch({ type: "searchCancel" });
      else if (key.return) dispatch({ type: "searchApply" });
      else if (key.backspace || key.delete) dispatch({ type: "searchBackspace" });
      else if (input && !key.ctrl && !key.meta && !key.upArrow && !key.downArrow)
        dispatch({ type: "searchInput", text: input.replace(/[\r\n]/g, "") });
      return;
    }
    if (input === "q") return exit();
    if (view.mode === "detail") {
      const lines = logs.state === "ready" ? logs.lines.length : 0;
      if (key.escape || key.return || key.leftArrow || key.backspace) dispatch({ type: "close" });
      else if (key.downArrow || input === "j") setLogScroll((s) => Math.min(Math.max(0, lines - 1), s + 1));
      else if (key.upArrow || input === "k") setLogScroll((s) => Math.max(0, s - 1));
      else if (key.pageDown) setLogScroll((s) => Math.min(Math.max(0, lines - 1), s + height));
      else if (key.pageUp) setLogScroll((s) => Math.max(0, s - height));
      return;
    }
    if (key.upArrow || input === "k") dispatch({ type: "move", delta: -1 });
    else if (key.downArrow || input === "j") dispatch({ type: "move", delta: 1 });
    else if (key.pageDown || input === " ") dispatch({ type: "page", direction: 1 });
    else if (key.pageUp) dispatch({ type: "page", direction: -1 });
    else if (key.home || input === "g") dispatch({ type: "home" });
    else if (key.end || input === "G") dispatch({ type: "end" });
    else if (key.return) dispatch({ type: "open" });
    else if (input === "/") dispatch({ type: "searchStart" });
    else if (key.escape && view.search) dispatch({ type: "searchCancel" });
    else if (FILTER_KEYS[input] !== undefined) dispatch({ type: "filter", filter: FILTER_KEYS[input]! });
  }

  const empty =
    snap.status.phase === "loading"
      ? "loading jobs…"
      : all.length === 0
        ? "no jobs yet in this window — submit one with aligner submit FILE"
        : "no job matches the filter (0 shows all, Esc clears the search)";

  return (
    <Box flexDirection="column" width={columns}>
      <Guard>
        <Header
          target={props.target}
          windowLabel={props.windowLabel}
          counts={counts}
          shown={shown}
          filter={view.filter}
          search={view.search}
          color={props.color}
          width={columns}
        />
      </Guard>
      <Guard>
        {detailRow ? (
          <DetailPane
            record={detailRow.record}
            logs={logs}
            scroll={logScroll}
            height={height}
            width={columns}
            color={props.color}
          />
        ) : (
          <JobTable
            rows={win.rows}
            selected={win.selected - win.offset}
            layout={layout}
            height={height}
            color={props.color}
            nowMs={nowMs}
            empty={empty}
          />
        )}
      </Guard>
      <StatusLine
        status={snap.status}
        view={view}
        shown={jobs.length}
        total={all.length}
        offset={win.offset}
        visible={win.rows.length}
        color={props.color}
        nowMs={nowMs}
      />
    </Box>
  );
}

function viewStats(rows: readonly JobRow[]): ViewStats {
  const s = computeStats(rows.map((r) => r.record));
  return { total: s.total, cold: s.cold, ...(s.durationMs ? { durationMs: s.durationMs } : {}) };
}

function countStatuses(rows: readonly JobRow[]): { total: number; byStatus: Record<string, number> } {
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.record.status] = (byStatus[r.record.status] ?? 0) + 1;
  return { total: rows.length, byStatus };
}

/** Whatever a bad record does to a component, the view keeps running and says so. */
class Guard extends Component<{ children: ReactNode }, { error?: string }> {
  override state: { error?: string } = {};
  static getDerivedStateFromError(err: unknown) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  override componentDidUpdate(prev: { children: ReactNode }) {
    // Try again on the next data: the bad record may be gone or fixed.
    if (this.state.error && prev.children !== this.props.children) this.setState({ error: undefined });
  }
  override render() {
    return this.state.error ? <Text>{`  (could not show this part: ${this.state.error})`}</Text> : this.props.children;
  }
}
