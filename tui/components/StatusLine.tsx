/** The bottom lines: connection state (errors with their retry) and the keys. */
import { Box, Text } from "ink";
import type { LiveStatus } from "../live-jobs.ts";
import type { ViewState } from "../view-state.ts";

export interface StatusLineProps {
  status: LiveStatus;
  view: ViewState;
  shown: number;
  total: number;
  offset: number;
  visible: number;
  color: boolean;
  nowMs: number;
}

const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

/** A notice (a reconnection) is shown for this long after it came. */
const NOTICE_MS = 60_000;

function recentNotice(status: LiveStatus, nowMs: number): string {
  const n = status.notice;
  return n && nowMs - n.atMs < NOTICE_MS ? ` · ${n.text} at ${clock(n.atMs)}` : "";
}

export function StatusLine({ status, view, shown, total, offset, visible, color, nowMs }: StatusLineProps) {
  let state: string;
  let warn = false;
  if (status.phase === "retrying") {
    warn = true;
    const secs = status.retryAtMs ? Math.max(0, Math.ceil((status.retryAtMs - nowMs) / 1000)) : 0;
    state = `${status.error ?? "read failed"} — retrying in ${secs} s (attempt ${status.attempt})`;
  } else if (status.phase === "loading") state = "loading…";
  else
    state = `live${recentNotice(status, nowMs)} · refreshed ${status.lastRefreshMs ? clock(status.lastRefreshMs) : "-"} · last refresh read ${status.lastItemsRead} item${status.lastItemsRead === 1 ? "" : "s"}`;
  const range =
    shown === 0
      ? "0"
      : `${offset + 1}-${Math.min(shown, offset + visible)} of ${shown}${shown !== total ? ` (${total} loaded)` : ""}`;
  const keys =
    view.mode === "search"
      ? "type to search request id or input · Enter apply · Esc clear"
      : view.mode === "detail"
        ? "↑↓ scroll logs · Esc back · q quit"
        : "↑↓ PgUp PgDn Home End move · 0-4 filter · / search · Enter details · q quit";
  return (
    <Box flexDirection="column">
      <Text wrap="truncate" {...(warn && color ? { color: "yellow" } : {})}>
        {warn ? "! " : ""}
        {state} · rows {range}
      </Text>
      {view.mode === "search" ? (
        <Text wrap="truncate">
          /{view.draft}
          <Text inverse={color}>{color ? " " : "_"}</Text>
        </Text>
      ) : (
        <Text wrap="truncate" dimColor={color}>
          {keys}
        </Text>
      )}
    </Box>
  );
}
