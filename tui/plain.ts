/**
 * The live view's output when stdout is not a terminal: the jobs once as a table (or JSON
 * lines), or with `follow`, one line per change as it is read.
 */
import type { JobRecord } from "../core/jobs-table.ts";
import type { JobRow } from "../core/job-item.ts";
import { formatTable, paint } from "./terminal-text.ts";
import { cellsOf, COLUMNS, fit, STATUS_COLORS, type Cells } from "./rows.ts";

type Paint = Parameters<typeof paint>[0];

/** A status in its colour (tui/rows.ts STATUS_COLORS) when colour is on; `width` pads or cuts it first. */
export function paintStatus(status: string, color: boolean, width?: number): string {
  const text = width === undefined ? status : fit(status, width);
  const style = STATUS_COLORS[status];
  return style && color ? paint(style as Paint, text, true) : text;
}

/** Every column, newest first, aligned: `watch` once and `history`. */
export function jobsTable(records: readonly JobRecord[], opts: { color: boolean; nowMs: number }): string {
  const rows = records.map((r) => {
    const c = cellsOf(r, opts.nowMs);
    return COLUMNS.map((col) => (col.id === "status" ? paintStatus(c.status, opts.color) : c[col.id]));
  });
  return formatTable(
    COLUMNS.map((c) => c.header),
    rows,
  );
}

/** One change as one line: time read, id, status, the rest. */
export function changeLine(row: JobRow, opts: { color: boolean; nowMs: number }): string {
  const c: Cells = cellsOf(row.record, opts.nowMs);
  return [
    c.started,
    c.id,
    paintStatus(c.status, opts.color, 9),
    c.start,
    fit(c.duration, 8, "right"),
    c.memory,
    c.input,
    c.error,
  ]
    .join("  ")
    .trimEnd();
}

export function jsonLine(record: JobRecord): string {
  return JSON.stringify(record);
}
