/** The live view's header: target, jobs per status (the filter keys), duration percentiles, cold starts. */
import { Box, Text } from "ink";
import type { JobStats } from "../../core/job-stats.ts";
import { formatDuration } from "../../core/job-stats.ts";
import { STATUS_COLORS } from "../rows.ts";
import { FILTER_KEYS, type StatusFilter } from "../view-state.ts";

export interface HeaderProps {
  target: string;
  /** "last 1h", for the figures' scope. */
  windowLabel: string;
  /** Counts over the jobs matching the search (any status). */
  counts: Pick<JobStats, "total" | "byStatus">;
  /** Durations and cold starts over the jobs on view (search and filter applied). */
  shown: Pick<JobStats, "total" | "durationMs" | "cold">;
  filter: StatusFilter;
  search: string;
  color: boolean;
  width: number;
}

export function Header({ target, windowLabel, counts, shown, filter, search, color, width }: HeaderProps) {
  const d = shown.durationMs;
  const cold = shown.cold.rate === undefined ? "-" : `${Math.round(shown.cold.rate * 100)}%`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold={color}>aligner watch</Text> · {target} · {windowLabel}
      </Text>
      <Text wrap="truncate">
        {Object.entries(FILTER_KEYS).map(([key, f]) => {
          const n = f === "ALL" ? counts.total : (counts.byStatus[f] ?? 0);
          const label = `${key} ${f === "ALL" ? "all" : f} ${n}`;
          const active = f === filter;
          const c = color && f !== "ALL" ? STATUS_COLORS[f] : undefined;
          return (
            <Text key={key}>
              {active ? "[" : " "}
              <Text {...(c ? { color: c } : {})} bold={color && active} underline={color && active}>
                {label}
              </Text>
              {active ? "]" : " "}
              {"  "}
            </Text>
          );
        })}
      </Text>
      <Text wrap="truncate">
        {`p50 ${formatDuration(d?.p50)}  p95 ${formatDuration(d?.p95)}  max ${formatDuration(d?.max)}  cold starts ${cold}  over ${shown.total} job${shown.total === 1 ? "" : "s"}`}
        {search ? `  · search "${search}"` : ""}
      </Text>
    </Box>
  );
}
