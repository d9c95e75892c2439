/**
 * Pure transformers from job records to what the screen shows: the cells of a row, the column
 * layout for a terminal width, and a row cut into fixed-width text. Only the rows on screen are
 * ever formatted, which is what keeps 10,000 jobs cheap. Total on any record: a missing or odd
 * field shows as "-", never as an exception.
 */
import type { JobRecord } from "../core/jobs-table.ts";
import { formatDuration } from "../core/job-stats.ts";

export type ColumnId = "id" | "input" | "status" | "start" | "started" | "duration" | "billed" | "memory" | "error";

export interface Column {
  id: ColumnId;
  header: string;
  align: "left" | "right";
}

export const COLUMNS: readonly Column[] = [
  { id: "id", header: "REQUEST ID", align: "left" },
  { id: "input", header: "INPUT", align: "left" },
  { id: "status", header: "STATUS", align: "left" },
  { id: "start", header: "START", align: "left" },
  { id: "started", header: "STARTED", align: "left" },
  { id: "duration", header: "DURATION", align: "right" },
  { id: "billed", header: "BILLED", align: "right" },
  { id: "memory", header: "MEMORY", align: "right" },
  { id: "error", header: "ERROR", align: "left" },
];

/** Terminal colours of each status (Ink colour names). */
export const STATUS_COLORS: Record<string, string> = {
  RUNNING: "cyan",
  SUCCEEDED: "green",
  FAILED: "red",
  TIMED_OUT: "yellow",
};

export type Cells = Record<ColumnId, string>;

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Local wall-clock time: `HH:MM:SS` today, `MM-DD HH:MM` before. */
export function formatClock(iso: string | undefined, nowMs: number): string {
  const ms = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(ms)) return "-";
  const d = new Date(ms);
  const now = new Date(nowMs);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? time : `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time.slice(0, 5)}`;
}

export function memoryCell(r: Pick<JobRecord, "maxMemoryUsedMb" | "memorySizeMb">): string {
  if (r.maxMemoryUsedMb === undefined && r.memorySizeMb === undefined) return "-";
  return `${r.maxMemoryUsedMb ?? "?"}/${r.memorySizeMb ?? "?"} MB`;
}

/** One line of text: newlines and tabs of a message would break the table. */
const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, " ").trim();

export function cellsOf(r: JobRecord, nowMs: number): Cells {
  const error = r.errorType ? `${r.errorType}${r.errorMessage ? `: ${r.errorMessage}` : ""}` : (r.errorMessage ?? "");
  return {
    id: String(r.requestId),
    input: r.inputKey ? oneLine(r.inputKey) : "-",
    status: String(r.status),
    start: r.coldStart === undefined ? "-" : r.coldStart ? "cold" : "warm",
    started: formatClock(r.startedAt, nowMs),
    duration: formatDuration(r.durationMs),
    billed: formatDuration(r.billedDurationMs),
    memory: memoryCell(r),
    error: oneLine(error),
  };
}

export interface Layout {
  columns: { column: Column; width: number }[];
  width: number;
}

const GAP = 2;
/** Preferred widths of the fixed columns; INPUT and ERROR share what is left. */
const FIXED: Partial<Record<ColumnId, number>> = {
  status: 9,
  start: 5,
  started: 11,
  duration: 9,
  billed: 9,
  memory: 11,
};
/** Dropped first to last while INPUT and ERROR would get less than `below` columns between them. */
const DROP_ORDER: { id: ColumnId; below: number }[] = [
  { id: "billed", below: 40 },
  { id: "memory", below: 40 },
  { id: "start", below: 40 },
  { id: "started", below: 40 },
  { id: "duration", below: 10 },
];

/**
 * Column widths for a terminal `width` wide (after the 2-column selection marker). Below about
 * 30 columns not even id and status fit; Ink then cuts each line at the edge.
 */
export function layoutColumns(width: number): Layout {
  const avail = Math.max(20, width - 2);
  const idWidth = avail >= 150 ? 36 : 8;
  let shown = COLUMNS.filter((c) => c.id !== "error" && c.id !== "input" && c.id !== "id");
  const used = () => idWidth + shown.reduce((n, c) => n + FIXED[c.id]! + GAP, 0) + GAP * 2;
  for (const drop of DROP_ORDER) {
    if (avail - used() >= drop.below) continue;
    shown = shown.filter((c) => c.id !== drop.id);
  }
  // What is left goes to INPUT and ERROR (each with its gap); on a tiny terminal, to nothing.
  const rest = Math.max(0, avail - used());
  const input = rest >= 6 ? Math.min(40, Math.max(6, Math.floor(rest * 0.45))) : 0;
  const error = Math.max(0, rest - input);
  const widths: Partial<Record<ColumnId, number>> = { id: idWidth, input, error };
  for (const c of shown) widths[c.id] = FIXED[c.id]!;
  const columns = COLUMNS.filter((c) => widths[c.id] !== undefined && widths[c.id]! > 0).map((column) => ({
    column,
    width: widths[column.id]!,
  }));
  return { columns, width: columns.reduce((n, c) => n + c.width, 0) + GAP * (columns.length - 1) };
}

/** Cuts or pads to exactly `width` characters (cut text ends with an ellipsis). */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const chars = [...text];
  if (chars.length > width)
    return width <= 1 ? chars.slice(0, width).join("") : `${chars.slice(0, width - 1).join("")}…`;
  const padding = " ".repeat(width - chars.length);
  return align === "right" ? padding + text : text + padding;
}

/** Keeps the end of an input key, which is the informative part (`…/batch-7/sample.fasta`). */
function fitInput(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width || width <= 1) return fit(text, width);
  return `…${chars.slice(chars.length - width + 1).join("")}`;
}

export interface RowText {
  /** Text before the status cell, the status cell, text after it: the status is coloured apart. */
  before: string;
  status: string;
  after: string;
}

export function rowText(cells: Cells, layout: Layout): RowText {
  const parts = layout.columns.map(({ column, width }) =>
    column.id === "input"
      ? fitInput(cells.input, width)
      : column.id === "id" && width < cells.id.length
        ? // A short id is a prefix, as git shows commits: no ellipsis, so it can be typed into `/`.
          cells.id.slice(0, width)
        : fit(cells[column.id], width, column.align),
  );
  const at = layout.columns.findIndex((c) => c.column.id === "status");
  const gap = " ".repeat(GAP);
  const last = layout.columns.length - 1;
  return {
    before: parts
      .slice(0, at)
      .map((p) => p + gap)
      .join(""),
    status: parts[at]!,
    // The last column's padding is trailing blanks: trimmed so rows do not wrap on resize.
    after:
      (at < last ? gap : "") +
      parts
        .slice(at + 1)
        .join(gap)
        .trimEnd(),
  };
}

export function headerText(layout: Layout): string {
  return layout.columns
    .map(({ column, width }) =>
      fit(column.id === "id" && width < column.header.length ? "ID" : column.header, width, column.align),
    )
    .join(" ".repeat(GAP))
    .trimEnd();
}
