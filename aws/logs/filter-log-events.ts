/** FilterLogEvents paging for `reconcile` and `aligner logs`: a time range of a log group as one stream of events. */
import { paginateFilterLogEvents, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { SourceEvent } from "../../core/status/reconcile.ts";

/** The log group's events in [startTime, endTime) (ms), through FilterLogEvents with pagination. */
export async function* filterLogEvents(
  client: CloudWatchLogsClient,
  query: { logGroup: string; startTime: number; endTime?: number; logStreamNames?: string[]; filterPattern?: string },
): AsyncGenerator<SourceEvent> {
  const pages = paginateFilterLogEvents(
    { client, pageSize: 10_000 },
    {
      logGroupName: query.logGroup,
      startTime: query.startTime,
      ...(query.endTime !== undefined ? { endTime: query.endTime } : {}),
      ...(query.logStreamNames ? { logStreamNames: query.logStreamNames } : {}),
      ...(query.filterPattern !== undefined ? { filterPattern: query.filterPattern } : {}),
    },
  );
  for await (const page of pages) {
    for (const e of page.events ?? []) {
      if (
        e.eventId === undefined ||
        e.timestamp === undefined ||
        e.message === undefined ||
        e.logStreamName === undefined
      )
        continue;
      yield { id: e.eventId, timestamp: e.timestamp, message: e.message, logStream: e.logStreamName };
    }
  }
}
