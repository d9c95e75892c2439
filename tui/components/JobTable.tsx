/** The rows on screen, and only those: each row is one line of text with its status coloured. */
import { Box, Text } from "ink";
import { memo } from "react";
import type { JobRow } from "../../core/job-item.ts";
import { cellsOf, headerText, rowText, STATUS_COLORS, type Layout } from "../rows.ts";

export interface JobTableProps {
  rows: readonly JobRow[];
  /** Index in `rows` of the selected row (-1 = none on screen). */
  selected: number;
  layout: Layout;
  height: number;
  color: boolean;
  nowMs: number;
  empty: string;
}

const Row = memo(function Row({
  row,
  selected,
  layout,
  color,
  nowMs,
}: {
  row: JobRow;
  selected: boolean;
  layout: Layout;
  color: boolean;
  nowMs: number;
}) {
  const t = rowText(cellsOf(row.record, nowMs), layout);
  const statusColor = color ? STATUS_COLORS[row.record.status] : undefined;
  return (
    <Text wrap="truncate" inverse={color && selected}>
      {selected ? "› " : "  "}
      {t.before}
      <Text {...(statusColor ? { color: statusColor } : {})}>{t.status}</Text>
      {t.after}
    </Text>
  );
});

export function JobTable({ rows, selected, layout, height, color, nowMs, empty }: JobTableProps) {
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text wrap="truncate" bold={color}>
        {"  "}
        {headerText(layout)}
      </Text>
      {rows.length === 0 ? (
        <Text>{`  ${empty}`}</Text>
      ) : (
        rows.map((row, i) => (
          <Row
            key={row.record.requestId}
            row={row}
            selected={i === selected}
            layout={layout}
            color={color}
            nowMs={nowMs}
          />
        ))
      )}
    </Box>
  );
}
