/** One job in full: every field of its record, then its log lines (read through the CloudWatch Logs API). */
import { Box, Text } from "ink";
import { JOB_RECORD_FIELDS, type JobRecord } from "../../core/jobs-table.ts";
import { STATUS_COLORS, fit } from "../rows.ts";
import { compactLogMessage } from "../log-line.ts";

export type LogState =
  | { state: "loading" }
  | {
      state: "ready";
      lines: { timestamp: number; logStream: string; message: string }[];
      streams: string[];
    }
  | { state: "error"; error: string };

export interface DetailPaneProps {
  record: JobRecord;
  logs: LogState;
  /** First log line shown. */
  scroll: number;
  height: number;
  width: number;
  color: boolean;
}

/** Field/value pairs of the record in the documented order, two to a line when the terminal is wide. */
export function detailFields(record: JobRecord): [string, string][] {
  const out: [string, string][] = [];
  for (const f of JOB_RECORD_FIELDS) {
    const v = record[f];
    if (v === undefined || v === "") continue;
    out.push([f, typeof v === "string" ? v.replace(/[\r\n\t]+/g, " ") : JSON.stringify(v)]);
  }
  return out;
}

export function DetailPane({ record, logs, scroll, height, width, color }: DetailPaneProps) {
  const fields = detailFields(record);
  const two = width >= 120;
  const half = Math.floor((width - 2) / 2);
  const fieldLines: [string, string][][] = [];
  for (let i = 0; i < fields.length; i += two ? 2 : 1) fieldLines.push(fields.slice(i, i + (two ? 2 : 1)));
  const logHeight = Math.max(1, height - fieldLines.length - 2);
  const statusColor = color ? STATUS_COLORS[record.status] : undefined;
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text wrap="truncate" bold={color}>
        {"  "}job {record.requestId} <Text {...(statusColor ? { color: statusColor } : {})}>{record.status}</Text>
      </Text>
      {fieldLines.map((pair) => (
        <Text key={pair.map(([k]) => k).join(" ")} wrap="truncate">
          {pair.map(([k, v]) => fit(`  ${k.padEnd(16)} ${v}`, two ? half : width - 1)).join("")}
        </Text>
      ))}
      <Text wrap="truncate" bold={color}>
        {"  "}log lines
        {logs.state === "ready"
          ? ` (${logs.lines.length} in ${logs.streams.length} stream${logs.streams.length === 1 ? "" : "s"})`
          : ""}
      </Text>
      {logs.state === "loading" ? <Text>{"  reading the request's log lines…"}</Text> : null}
      {logs.state === "error" ? (
        <Text wrap="truncate-end" {...(color ? { color: "yellow" } : {})}>
          {`  ${logs.error}`}
        </Text>
      ) : null}
      {logs.state === "ready" && logs.lines.length === 0 ? (
        <Text>{"  no log lines found for this request"}</Text>
      ) : null}
      {logs.state === "ready"
        ? logs.lines.slice(scroll, scroll + logHeight).map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a request's lines never reorder, so the position is their identity.
            <Text key={scroll + i} wrap="truncate">
              {`  ${new Date(l.timestamp).toISOString().slice(11, 23)}  ${compactLogMessage(l.message).replace(/[\r\n\t]+/g, "  ")}`}
            </Text>
          ))
        : null}
    </Box>
  );
}
