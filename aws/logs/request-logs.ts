/**
 * One request's log lines, read through the CloudWatch Logs API: `aligner logs REQUEST_ID` and
 * the live view's detail pane. A warm environment writes many requests into one stream and async
 * retries may run in other streams, so: find the streams that name the request (from its record
 * when it had one attempt, else a FilterLogEvents search for the id), read each around the
 * request's own lines, and keep only the request's lines (core/logs/extract.ts: lines naming it,
 * unprefixed lines between its START and REPORT, its id-less init lines).
 */
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { JobRecord } from "../../core/jobs-table.ts";
import { extractRequestLines, type ExtractedLine } from "../../core/logs/extract.ts";
import type { SourceEvent } from "../../core/status/reconcile.ts";
import { filterLogEvents } from "./filter-log-events.ts";

export interface RequestLogLine {
  timestamp: number;
  logStream: string;
  eventId: string;
  reason: ExtractedLine["reason"];
  message: string;
}

export interface RequestLogs {
  lines: RequestLogLine[];
  /** Streams the request's lines were found in. */
  streams: string[];
  /** The time range searched, for "nothing found" messages. */
  searched: { startTime: number; endTime: number };
}

/** Lambda's init phase is at most 10 s; id-less init lines come before START by up to that. */
const INIT_MARGIN_MS = 15_000;
/** The old "Task timed out" line and late stderr come a little after REPORT. */
const TAIL_MARGIN_MS = 5_000;
/** Earlier attempts of a retried request: up to two retries, 1 and 2 minutes apart, each up to 15 minutes long. */
const RETRY_LOOKBACK_MS = 60 * 60_000;

export interface RequestLogsQuery {
  logGroup: string;
  requestId: string;
  /** The job record, when the table has one. */
  record?: JobRecord;
  /** Search range when there is no record (ms). */
  sinceMs: number;
  untilMs: number;
}

export async function findRequestLogs(client: CloudWatchLogsClient, q: RequestLogsQuery): Promise<RequestLogs> {
  const r = q.record;
  const started = r?.startedAt ? Date.parse(r.startedAt) : NaN;
  const ended = r?.endedAt ? Date.parse(r.endedAt) : NaN;
  let spans: Map<string, { first: number; last: number }>;
  let searched: { startTime: number; endTime: number };
  if (r?.logStream && Number.isFinite(started) && r.attempts <= 1) {
    // One attempt in a known stream: no need to search the group.
    const end = Number.isFinite(ended) ? ended : q.untilMs;
    spans = new Map([[r.logStream, { first: started, last: end }]]);
    searched = { startTime: started - INIT_MARGIN_MS, endTime: end + TAIL_MARGIN_MS };
  } else {
    searched = Number.isFinite(started)
      ? {
          startTime: started - RETRY_LOOKBACK_MS,
          endTime: (Number.isFinite(ended) ? ended : q.untilMs) + TAIL_MARGIN_MS,
        }
      : { startTime: q.sinceMs, endTime: q.untilMs };
    spans = new Map();
    for await (const e of searchEvents(client, q.logGroup, q.requestId, searched)) {
      const s = spans.get(e.logStream);
      if (!s) spans.set(e.logStream, { first: e.timestamp, last: e.timestamp });
      else {
        s.first = Math.min(s.first, e.timestamp);
        s.last = Math.max(s.last, e.timestamp);
      }
    }
  }
  const lines: RequestLogLine[] = [];
  for (const [logStream, span] of spans) {
    const events: SourceEvent[] = [];
    const range = {
      logGroup: q.logGroup,
      startTime: span.first - INIT_MARGIN_MS,
      endTime: span.last + TAIL_MARGIN_MS,
      logStreamNames: [logStream],
    };
    for await (const e of filterLogEvents(client, range)) events.push(e);
    for (const x of extractRequestLines(events, q.requestId)) {
      lines.push({
        timestamp: x.event.timestamp,
        logStream,
        eventId: x.event.id,
        reason: x.reason,
        message: x.event.message,
      });
    }
  }
  lines.sort(
    (a, b) => a.timestamp - b.timestamp || (a.logStream < b.logStream ? -1 : a.logStream > b.logStream ? 1 : 0),
  );
  return { lines, streams: [...new Set(lines.map((l) => l.logStream))], searched };
}

/** Events naming the request id anywhere in the group (a quoted term: ids contain dashes). */
function searchEvents(
  client: CloudWatchLogsClient,
  logGroup: string,
  requestId: string,
  range: { startTime: number; endTime: number },
): AsyncGenerator<SourceEvent> {
  return filterLogEvents(client, {
    logGroup,
    startTime: range.startTime,
    endTime: range.endTime,
    filterPattern: `"${requestId}"`,
  });
}
