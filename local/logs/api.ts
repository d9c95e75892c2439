/**
 * The local CloudWatch Logs API: the JSON protocol `@aws-sdk/client-cloudwatch-logs` speaks
 * (`POST /`, `X-Amz-Target: Logs_20140328.<Operation>`, `application/x-amz-json-1.1`), serving
 * FilterLogEvents, GetLogEvents, DescribeLogStreams and DescribeLogGroups from the LogStore.
 *
 * Behaviour follows the service where a client can tell: FilterLogEvents returns events of all
 * streams interleaved in time order with `eventId`, `ingestionTime` and `logStreamName`, time
 * bounds inclusive, pages of up to `limit` (10,000 by default) with an opaque `nextToken` only
 * while more remain; GetLogEvents reads one stream, `endTime` exclusive, from the end unless
 * `startFromHead`, with `f/...` and `b/...` tokens and the same forward token returned at the end
 * of the stream (the SDK's paginator stops on that); DescribeLogStreams/Groups page by 50.
 * Errors have the service's shape (`{"__type","message"}`, HTTP 400): ResourceNotFoundException,
 * InvalidParameterException, UnknownOperationException for an operation it does not serve.
 */
import { jsonProtocolHandler, LoopbackServer, MAX_REQUEST_BYTES } from "../http-server.ts";
import { compileFilterPattern, FilterPatternError } from "./filter-pattern.ts";
import type { GroupInfo, LogStore, StoredEvent, StreamInfo } from "./store.ts";

export const TARGET_PREFIX = "Logs_20140328.";

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new ServiceError("InvalidParameterException", message);
const groupNotFound = () => new ServiceError("ResourceNotFoundException", "The specified log group does not exist.");
const streamNotFound = () => new ServiceError("ResourceNotFoundException", "The specified log stream does not exist.");

type Json = Record<string, unknown>;

export interface LogsApiOptions {
  region: string;
  accountId: string;
}

export class LogsApi {
  private readonly http = new LoopbackServer(
    jsonProtocolHandler({
      targetPrefix: TARGET_PREFIX,
      contentType: "application/x-amz-json-1.1",
      call: (operation, input) => this.call(operation, input),
      envelopeError: (problem) =>
        problem === "tooLarge"
          ? new ServiceError(
              "RequestEntityTooLargeException",
              `The request body is larger than ${MAX_REQUEST_BYTES} bytes.`,
              413,
            )
          : problem === "notThisService"
            ? new ServiceError(
                "UnknownOperationException",
                "Expected a POST with X-Amz-Target: Logs_20140328.<Operation>.",
              )
            : new ServiceError(
                "SerializationException",
                problem === "badJson"
                  ? "The request body is not valid JSON."
                  : "The request body must be a JSON object.",
              ),
      errorReply: (err) =>
        err instanceof ServiceError
          ? { status: err.status, body: { __type: err.type, message: err.message } }
          : { status: 500, body: { __type: "ServiceUnavailableException", message: (err as Error).message } },
    }),
  );

  constructor(
    private readonly store: LogStore,
    private readonly opts: LogsApiOptions,
  ) {}

  listen(port = 0, host = "127.0.0.1"): Promise<string> {
    return this.http.listen(port, host, { keepAliveTimeoutMs: 1000 });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** One request, without HTTP: the operation name and its JSON input. */
  call(operation: string, input: Json): Json {
    switch (operation) {
      case "FilterLogEvents":
        return this.filterLogEvents(input);
      case "GetLogEvents":
        return this.getLogEvents(input);
      case "DescribeLogStreams":
        return this.describeLogStreams(input);
      case "DescribeLogGroups":
        return this.describeLogGroups(input);
      default:
        throw new ServiceError("UnknownOperationException", `The local cloud does not serve ${operation}.`);
    }
  }

  // -------------------------------------------------------------------------------------------

  private groupOf(input: Json): GroupInfo {
    const name = optString(input, "logGroupName");
    const identifier = optString(input, "logGroupIdentifier");
    if (name !== undefined && identifier !== undefined)
      throw invalid("logGroupName and logGroupIdentifier are mutually exclusive.");
    const wanted = name ?? identifierToName(identifier);
    if (wanted === undefined)
      throw invalid(
        "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null",
      );
    const g = this.store.group(wanted);
    if (!g) throw groupNotFound();
    return g;
  }

  private filterLogEvents(input: Json): Json {
    const g = this.groupOf(input);
    const names = optStringArray(input, "logStreamNames");
    const prefix = optString(input, "logStreamNamePrefix");
    if (names && prefix !== undefined) throw invalid("You cannot specify both logStreamNames and logStreamNamePrefix.");
    if (names && (names.length < 1 || names.length > 100)) throw invalid("logStreamNames must hold 1 to 100 names.");
    const start = optInt(input, "startTime", 0);
    const end = optInt(input, "endTime", Number.MAX_SAFE_INTEGER);
    const limit = optInt(input, "limit", 10_000);
    if (limit < 1 || limit > 10_000) throw invalid("limit must be between 1 and 10000.");
    let matches: ReturnType<typeof compileFilterPattern>;
    try {
      matches = compileFilterPattern(optString(input, "filterPattern"));
    } catch (err) {
      if (err instanceof FilterPatternError) throw invalid(err.message);
      throw err;
    }
    const after = decodeToken(optString(input, "nextToken"), "filter");
    const streams = [...g.streams.values()].filter((s) =>
      names ? names.includes(s.name) : prefix === undefined || s.name.startsWith(prefix),
    );
    const selected: StoredEvent[] = [];
    for (const s of streams) {
      for (const e of s.events) {
        if (e.timestamp < start || e.timestamp > end) continue;
        if (after && compareByTimeAndSeq(e, after) <= 0) continue;
        if (matches(e.message)) selected.push(e);
      }
    }
    selected.sort(compareByTimeAndSeq);
    const page = selected.slice(0, limit);
    const out: Json = {
      events: page.map((e) => ({
        logStreamName: e.logStream,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: e.id,
      })),
      searchedLogStreams: [],
    };
    if (selected.length > limit) out["nextToken"] = encodeToken("filter", page.at(-1)!);
    return out;
  }

  private getLogEvents(input: Json): Json {
    const g = this.groupOf(input);
    const streamName = optString(input, "logStreamName");
    if (streamName === undefined)
      throw invalid(
        "1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
      );
    const s: StreamInfo | undefined = g.streams.get(streamName);
    if (!s) throw streamNotFound();
    const start = optInt(input, "startTime", 0);
    const end = optInt(input, "endTime", Number.MAX_SAFE_INTEGER);
    const limit = optInt(input, "limit", 10_000);
    if (limit < 1 || limit > 10_000) throw invalid("limit must be between 1 and 10000.");
    const fromHead = input["startFromHead"] === true;
    // Indexes into the stream's events in range; tokens are positions in that sequence.
    const inRange = s.events.filter((e) => e.timestamp >= start && e.timestamp < end);
    const token = optString(input, "nextToken");
    let lo: number;
    let hi: number;
    if (token !== undefined) {
      const m = /^([fb])\/(\d+)\/s$/.exec(token);
      if (!m) throw invalid("The specified nextToken is invalid.");
      const pos = Math.min(Number(m[2]), inRange.length);
      if (m[1] === "f") [lo, hi] = [pos, Math.min(pos + limit, inRange.length)];
      else [lo, hi] = [Math.max(0, pos - limit), pos];
    } else if (fromHead) {
      [lo, hi] = [0, Math.min(limit, inRange.length)];
    } else {
      [lo, hi] = [Math.max(0, inRange.length - limit), inRange.length];
    }
    return {
      events: inRange
        .slice(lo, hi)
        .map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken: `f/${String(hi).padStart(20, "0")}/s`,
      nextBackwardToken: `b/${String(lo).padStart(20, "0")}/s`,
    };
  }

  private describeLogStreams(input: Json): Json {
    const g = this.groupOf(input);
    const prefix = optString(input, "logStreamNamePrefix");
    const orderBy = optString(input, "orderBy") ?? "LogStreamName";
    if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime")
      throw invalid("orderBy must be LogStreamName or LastEventTime.");
    if (orderBy === "LastEventTime" && prefix !== undefined)
      throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
    const limit = optInt(input, "limit", 50);
    if (limit < 1 || limit > 50) throw invalid("limit must be between 1 and 50.");
    const descending = input["descending"] === true;
    const key = (s: StreamInfo) =>
      orderBy === "LastEventTime" ? String(s.events.at(-1)?.timestamp ?? 0).padStart(16, "0") + s.name : s.name;
    const streams = [...g.streams.values()]
      .filter((s) => prefix === undefined || s.name.startsWith(prefix))
      .sort((a, b) => cmp(key(a), key(b)) * (descending ? -1 : 1));
    const { page, next } = pageOf(streams, optString(input, "nextToken"), limit);
    const out: Json = {
      logStreams: page.map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        ...(s.events.length
          ? {
              firstEventTimestamp: s.events[0]!.timestamp,
              lastEventTimestamp: s.events.at(-1)!.timestamp,
              lastIngestionTime: s.events.at(-1)!.ingestionTime,
            }
          : {}),
        uploadSequenceToken: String(s.events.length),
        arn: `${this.groupArn(g.name)}:log-stream:${s.name}`,
        storedBytes: 0,
      })),
    };
    if (next !== undefined) out["nextToken"] = next;
    return out;
  }

  private describeLogGroups(input: Json): Json {
    const prefix = optString(input, "logGroupNamePrefix");
    const pattern = optString(input, "logGroupNamePattern");
    if (prefix !== undefined && pattern !== undefined)
      throw invalid("logGroupNamePrefix and logGroupNamePattern are mutually exclusive.");
    const limit = optInt(input, "limit", 50);
    if (limit < 1 || limit > 50) throw invalid("limit must be between 1 and 50.");
    const groups = this.store
      .allGroups()
      .filter(
        (g) =>
          (prefix === undefined || g.name.startsWith(prefix)) &&
          (pattern === undefined || g.name.toLowerCase().includes(pattern.toLowerCase())),
      );
    const { page, next } = pageOf(groups, optString(input, "nextToken"), limit);
    const out: Json = {
      logGroups: page.map((g) => ({
        logGroupName: g.name,
        creationTime: g.creationTime,
        ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
        metricFilterCount: 0,
        arn: `${this.groupArn(g.name)}:*`,
        storedBytes: [...g.streams.values()].reduce((n, s) => n + s.storedBytes, 0),
        logGroupClass: "STANDARD",
        logGroupArn: this.groupArn(g.name),
      })),
    };
    if (next !== undefined) out["nextToken"] = next;
    return out;
  }

  private groupArn(name: string): string {
    return `arn:aws:logs:${this.opts.region}:${this.opts.accountId}:log-group:${name}`;
  }
}

// ---------------------------------------------------------------------------------------------

function optString(input: Json, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(`${key} must be a string.`);
  return v;
}

function optStringArray(input: Json, key: string): string[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw invalid(`${key} must be a list of strings.`);
  return v as string[];
}

function optInt(input: Json, key: string, fallback: number): number {
  const v = input[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw invalid(`${key} must be a non-negative whole number.`);
  return v;
}

/** A log group ARN (with or without `:*`) or a plain name. */
function identifierToName(identifier: string | undefined): string | undefined {
  if (identifier === undefined) return undefined;
  const m = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/.exec(identifier);
  return m ? m[1] : identifier;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareByTimeAndSeq(a: { timestamp: number; seq: number }, b: { timestamp: number; seq: number }): number {
  return a.timestamp - b.timestamp || a.seq - b.seq;
}

function encodeToken(kind: string, at: { timestamp: number; seq: number }): string {
  return Buffer.from(JSON.stringify({ k: kind, t: at.timestamp, q: at.seq })).toString("base64url");
}

function decodeToken(token: string | undefined, kind: string): { timestamp: number; seq: number } | undefined {
  if (token === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { k?: unknown; t?: unknown; q?: unknown };
    if (v.k === kind && typeof v.t === "number" && typeof v.q === "number") return { timestamp: v.t, seq: v.q };
  } catch {
    // fall through
  }
  throw invalid("The specified nextToken is invalid.");
}

function pageOf<T>(items: T[], token: string | undefined, limit: number): { page: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    const m = /^p\/(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!m) throw invalid("The specified nextToken is invalid.");
    start = Number(m[1]);
  }
  const page = items.slice(start, start + limit);
  const end = start + page.length;
  return end < items.length ? { page, next: Buffer.from(`p/${end}`).toString("base64url") } : { page };
}
