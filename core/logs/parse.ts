/**
 * Parses one CloudWatch log event of a Lambda function (Text or JSON log format, old and new
 * generations) into a LogRecord. Pure and allocation-light: it runs on every event the log
 * processor receives.
 *
 * Rules that keep it right:
 * - Platform lines are recognised only at the start of the event, and in text only with a real
 *   UUID request id, so an app message that merely mentions "RequestId" never creates a request.
 * - `Key: value` pairs are found by key, never by position; tabs or spaces; integers or floats;
 *   any field may be missing.
 * - `undefined` (the Node runtime's request id before the first invoke) means "no request id".
 */
import { readJobEvent } from "../job-events.ts";
import { hasNoControls, isPlainLine, parseJsonObject, stringEnd, valueEnd } from "./json-fields.ts";
import type { ErrorInfo, LogRecord, PlatformStatus } from "./records.ts";

const UUID_SRC = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const START_RE = new RegExp(`^START RequestId: (${UUID_SRC})(?:[\\t ]+Version: (\\S+))?`);
const END_RE = new RegExp(`^END RequestId: (${UUID_SRC})`);
const REPORT_RE = new RegExp(`^REPORT RequestId: (${UUID_SRC})`);
const RUNTIME_EXIT_RE = new RegExp(
  `^RequestId: (${UUID_SRC})[\\t ]+(?:Error: )?([^\\r\\n]*)(?:[\\r\\n]+[\\t ]*(\\S+))?`,
);
/** `<ISO time> <id> <LEVEL> <message>` — tabs, or spaces from tools that print tabs as spaces. */
const APP_RE = new RegExp(
  `^(\\d{4}-\\d{2}-\\d{2}T\\S+)[\\t ]+(${UUID_SRC}|undefined)[\\t ]+(?:(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)(?:\\t|[\\t ]+|$))?`,
);
const TIMED_OUT_RE = /^Task timed out after ([\d.]+) seconds/;

const KEYS = [
  "Billed Restore Duration",
  "Billed Duration",
  "Restore Duration",
  "Init Duration",
  "Max Memory Used",
  "Memory Size",
  "Runtime Version ARN",
  "Runtime Version",
  "Error Type",
  "Duration",
  "Status",
  "Phase",
];
const KEY_RE = new RegExp(`(?:^|[\\t ])(${KEYS.join("|")}):[\\t ]*`, "g");
const TAB_PATTERNS = new Map(KEYS.map((k) => [k, `\t${k}: `]));

/**
 * Fields of a platform line, found by key. Lambda separates fields with tabs, so the common case is
 * one indexOf per field; lines whose tabs became spaces are scanned by key instead.
 */
type Fields = { line: string; scanned: Map<string, string> | undefined };

function fieldsOf(line: string): Fields {
  const lf = line.indexOf("\n");
  const cr = line.indexOf("\r");
  const nl = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
  const firstLine = nl < 0 ? line : line.slice(0, nl);
  if (!firstLine.includes("\t")) return { line: firstLine, scanned: keyValuesByScan(firstLine) };
  // "INIT_REPORT Init Duration: ..." — put the first field after a tab too, like the others.
  return { line: `\t${firstLine.slice(firstLine.indexOf(" ") + 1)}`, scanned: undefined };
}

function field(f: Fields, key: string): string | undefined {
  if (f.scanned) return f.scanned.get(key);
  const pattern = TAB_PATTERNS.get(key)!;
  const at = f.line.indexOf(pattern);
  if (at < 0) return undefined;
  const start = at + pattern.length;
  const end = f.line.indexOf("\t", start);
  const value = (end < 0 ? f.line.slice(start) : f.line.slice(start, end)).trim();
  return value === "" ? undefined : value;
}

/** Fields found by key wherever they are (tools that print tabs as spaces). */
function keyValuesByScan(firstLine: string): Map<string, string> {
  const out = new Map<string, string>();
  let prevKey: string | undefined;
  let prevEnd = 0;
  KEY_RE.lastIndex = 0;
  for (let m = KEY_RE.exec(firstLine); m !== null; m = KEY_RE.exec(firstLine)) {
    if (prevKey !== undefined) out.set(prevKey, firstLine.slice(prevEnd, m.index).trim());
    prevKey = m[1]!;
    prevEnd = m.index + m[0].length;
  }
  if (prevKey !== undefined) out.set(prevKey, firstLine.slice(prevEnd).trim());
  return out;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const c = value.charCodeAt(0);
  if (!(c === 45 /* - */ || (c >= 48 && c <= 57))) return undefined;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}

function status(value: unknown): PlatformStatus | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.trim().toLowerCase();
  return v === "success" || v === "failure" || v === "error" || v === "timeout" ? v : undefined;
}

function setIfDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function parseReportText(requestId: string, message: string): LogRecord {
  const lf = message.indexOf("\n");
  const firstLine = lf < 0 ? message : message.slice(0, lf);
  if (firstLine.includes("\t") && !firstLine.includes("\r")) return reportByTabs(requestId, firstLine);
  const kv = fieldsOf(message);
  const r: LogRecord & { kind: "report" } = { kind: "report", requestId };
  setIfDefined(r, "durationMs", num(field(kv, "Duration")));
  setIfDefined(r, "billedDurationMs", num(field(kv, "Billed Duration")));
  setIfDefined(r, "memorySizeMb", num(field(kv, "Memory Size")));
  setIfDefined(r, "maxMemoryUsedMb", num(field(kv, "Max Memory Used")));
  setIfDefined(r, "initDurationMs", num(field(kv, "Init Duration")));
  setIfDefined(r, "restoreDurationMs", num(field(kv, "Restore Duration")));
  setIfDefined(r, "billedRestoreDurationMs", num(field(kv, "Billed Restore Duration")));
  setIfDefined(r, "status", status(field(kv, "Status")));
  setIfDefined(r, "errorType", field(kv, "Error Type"));
  return r;
}

/**
 * The usual REPORT: tab-separated `Key: value` fields, dispatched by key length. Walked by offsets
 * (what `line.split("\t")` would give as parts 1..n, without the array and the part strings).
 */
function reportByTabs(requestId: string, line: string): LogRecord {
  const r: LogRecord & { kind: "report" } = { kind: "report", requestId };
  const n = line.length;
  let start = line.indexOf("\t") + 1;
  while (start > 0) {
    const tab = line.indexOf("\t", start);
    const end = tab < 0 ? n : tab;
    // The part's first ": " (a tab ends the part, so one found further on is not in it).
    const colon = line.indexOf(": ", start);
    if (colon >= 0 && colon < end) {
      const value = line.slice(colon + 2, end);
      switch (colon - start) {
        case 6:
          if (line.startsWith("Status", start)) {
            const st = status(value);
            if (st !== undefined) r.status = st;
          }
          break;
        case 8:
          if (line.startsWith("Duration", start)) {
            const v = num(value);
            if (v !== undefined) r.durationMs = v;
          }
          break;
        case 10:
          if (line.startsWith("Error Type", start) && value.trim() !== "") r.errorType = value.trim();
          break;
        case 11:
          if (line.startsWith("Memory Size", start)) {
            const v = num(value);
            if (v !== undefined) r.memorySizeMb = v;
          }
          break;
        case 13:
          if (line.startsWith("Init Duration", start)) {
            const v = num(value);
            if (v !== undefined) r.initDurationMs = v;
          }
          break;
        case 15:
          if (line.startsWith("Billed Duration", start)) {
            const v = num(value);
            if (v !== undefined) r.billedDurationMs = v;
          } else if (line.startsWith("Max Memory Used", start)) {
            const v = num(value);
            if (v !== undefined) r.maxMemoryUsedMb = v;
          }
          break;
        case 16:
          if (line.startsWith("Restore Duration", start)) {
            const v = num(value);
            if (v !== undefined) r.restoreDurationMs = v;
          }
          break;
        case 23:
          if (line.startsWith("Billed Restore Duration", start)) {
            const v = num(value);
            if (v !== undefined) r.billedRestoreDurationMs = v;
          }
          break;
      }
    }
    start = tab + 1;
  }
  return r;
}

function parseText(message: string): LogRecord {
  switch (message.charCodeAt(0)) {
    case 83 /* S */:
      {
        const m = START_RE.exec(message);
        if (m)
          return m[2] !== undefined
            ? { kind: "start", requestId: m[1]!, version: m[2] }
            : { kind: "start", requestId: m[1]! };
        break;
      }
    case 69 /* E */:
      {
        const m = END_RE.exec(message);
        if (m) return { kind: "end", requestId: m[1]! };
        if (message.startsWith("EXTENSION")) return { kind: "platformOther", type: "EXTENSION" };
        break;
      }
    case 82 /* R */:
      {
        const report = REPORT_RE.exec(message);
        if (report) return parseReportText(report[1]!, message);
        const exit = RUNTIME_EXIT_RE.exec(message);
        if (exit) {
          const r: LogRecord = { kind: "runtimeExit", requestId: exit[1]!, message: exit[2]!.trim() };
          if (exit[3] !== undefined) r.errorType = exit[3];
          return r;
        }
        if (message.startsWith("RESTORE_START")) return { kind: "initStart", initializationType: "snap-start" };
        if (message.startsWith("RESTORE_REPORT")) return { kind: "platformOther", type: "RESTORE_REPORT" };
        break;
      }
    case 73 /* I */:
      {
        if (message.startsWith("INIT_START")) {
          const kv = fieldsOf(message);
          const r: LogRecord & { kind: "initStart" } = { kind: "initStart" };
          setIfDefined(r, "runtimeVersion", field(kv, "Runtime Version"));
          return r;
        }
        if (message.startsWith("INIT_REPORT")) {
          const kv = fieldsOf(message);
          const r: LogRecord & { kind: "initReport" } = { kind: "initReport" };
          setIfDefined(r, "initDurationMs", num(field(kv, "Init Duration")));
          setIfDefined(r, "phase", field(kv, "Phase"));
          setIfDefined(r, "status", status(field(kv, "Status")));
          setIfDefined(r, "errorType", field(kv, "Error Type"));
          return r;
        }
        break;
      }
    case 88 /* X */:
      if (message.startsWith("XRAY ")) return { kind: "platformOther", type: "XRAY" };
      break;
    case 84 /* T */:
      if (message.startsWith("TELEMETRY")) return { kind: "platformOther", type: "TELEMETRY" };
      break;
    case 76 /* L */:
      if (message.startsWith("LOGS\t") || message.startsWith("LOGS ")) return { kind: "platformOther", type: "LOGS" };
      break;
    default:
      if (message.charCodeAt(0) >= 48 && message.charCodeAt(0) <= 57) return parseTimestamped(message);
  }
  return { kind: "text", text: message };
}

/** `<time> <id> <LEVEL> <message>` (Node console), or old `<time> <id> Task timed out ...`. */
function parseTimestamped(message: string): LogRecord {
  const m = APP_RE.exec(message);
  if (!m) return { kind: "text", text: message };
  const id = m[2] === "undefined" ? undefined : m[2]!;
  const rest = message.slice(m[0].length);
  if (m[3] === undefined && id !== undefined) {
    const timedOut = TIMED_OUT_RE.exec(rest);
    if (timedOut) return { kind: "timeoutLine", requestId: id, seconds: Number(timedOut[1]) };
  }
  const r: LogRecord & { kind: "app" } = { kind: "app", message: rest };
  if (id !== undefined) r.requestId = id;
  if (m[3] !== undefined) r.level = m[3];
  if (m[3] === "ERROR" || m[3] === "FATAL" || m[3] === undefined) {
    const invocation = /^(Invoke Error|Uncaught Exception|Unhandled Promise Rejection)\b/.test(rest);
    const error = embeddedError(rest);
    if (error) r.error = error;
    if (invocation) r.invocationError = true;
  }
  return r;
}

/** The `{"errorType":...,"errorMessage":...}` the runtime appends after a tab. */
function embeddedError(text: string): ErrorInfo | undefined {
  const brace = text.indexOf("{");
  if (brace < 0) return undefined;
  try {
    return errorInfo(JSON.parse(text.slice(brace)));
  } catch {
    return undefined;
  }
}

function errorInfo(value: unknown): ErrorInfo | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const errorType =
    typeof o["errorType"] === "string" ? o["errorType"] : typeof o["name"] === "string" ? o["name"] : undefined;
  const errorMessage =
    typeof o["errorMessage"] === "string"
      ? o["errorMessage"]
      : typeof o["message"] === "string"
        ? o["message"]
        : undefined;
  if (errorType === undefined && errorMessage === undefined) return undefined;
  const out: ErrorInfo = {};
  if (errorType !== undefined) out.errorType = errorType;
  if (errorMessage !== undefined) out.errorMessage = errorMessage;
  return out;
}

function realId(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && value !== "undefined" && value !== "null" ? value : undefined;
}

/**
 * A JSON event → its record, by JSON.parse: the general path, and the reference every fast path
 * below must agree with (test/core/json-fast-paths.test.ts). Undefined if it is not a JSON object.
 */
export function parseJsonGeneral(message: string): LogRecord | undefined {
  const o = parseJsonObject(message);
  if (!o) return undefined;
  if (typeof o["type"] === "string" && o["type"].startsWith("platform."))
    return parsePlatformJson(o["type"], o["record"]);
  return appRecordOf(o);
}

/** The same reading, with the fast paths tried first (each returns undefined when unsure). */
export function parseJson(message: string): LogRecord | undefined {
  // Lambda's platform records start {"time":"<ISO>","type":"platform.<x>", ... Job events go
  // straight to JSON.parse (scanAppJson would give up at their jobEvent key, after work wasted).
  // Searched without the quotes: V8 finds a pattern starting with '"' several times slower.
  const fast = message.startsWith('{"time":"')
    ? scanPlatformJson(message)
    : message.indexOf("jobEvent") < 0
      ? scanAppJson(message)
      : undefined;
  return fast ?? parseJsonGeneral(message);
}

/** An app line's object → its record. `o` is JSON.parse's object, or the fields scanAppJson read. */
function appRecordOf(o: Record<string, unknown>): LogRecord {
  const requestId = realId(o["requestId"]) ?? realId(o["function_request_id"]) ?? realId(o["awsRequestId"]);
  if (o["jobEvent"] !== undefined) {
    const event = readJobEvent(o);
    if (event) return requestId !== undefined ? { kind: "job", requestId, event } : { kind: "job", event };
  }
  const r: LogRecord & { kind: "app" } = {
    kind: "app",
    message: typeof o["message"] === "string" ? o["message"] : JSON.stringify(o["message"] ?? o),
  };
  if (requestId !== undefined) r.requestId = requestId;
  if (typeof o["level"] === "string") r.level = o["level"].toUpperCase();
  if (r.level === "ERROR" || r.level === "FATAL") {
    const error =
      errorInfo(o["errorType"] !== undefined || o["errorMessage"] !== undefined ? o : undefined) ??
      errorInfo(o["message"]) ??
      errorInfo(o["error"]);
    if (error) r.error = error;
  }
  return r;
}

/**
 * A value scanAppJson does not keep (true, false, null, an object, an array): every reader of the
 * fields it tracks (realId, the level check) treats them alike.
 */
const OTHER: unknown = Object.freeze({});

/** Escape flag of the last string stepped over (module-level: no allocation per line). */
const ESC = { escaped: false };

/**
 * Steps over the object whose `{` is at `open`, as the one-pass readers take objects: keys without
 * escapes, no whitespace between tokens. For each pair it calls `visit` with the key (start and
 * length inside `line`) and where the value starts; `visit` returns the index just past the value,
 * or -1 to give up. Returns the index just past the object, or -1.
 */
function stepObject(
  line: string,
  open: number,
  plain: boolean,
  visit: (keyStart: number, keyLength: number, valueAt: number) => number,
): number {
  let k = open + 1;
  if (line.charCodeAt(k) === 125 /* } */) return k + 1;
  for (;;) {
    if (line.charCodeAt(k) !== 34 /* " */) return -1;
    ESC.escaped = false;
    const keyEnd = stringEnd(line, k, plain, ESC);
    // An escaped key may spell a tracked one (\u006cevel is level): leave it to JSON.parse.
    if (keyEnd < 0 || ESC.escaped || line.charCodeAt(keyEnd) !== 58 /* : */) return -1;
    const next = visit(k + 1, keyEnd - k - 2, keyEnd + 1);
    if (next < 0) return -1;
    const sep = line.charCodeAt(next);
    if (sep === 125 /* } */) return next + 1;
    if (sep !== 44 /* , */) return -1;
    k = next + 1;
  }
}

/** A string value's JSON value: the raw slice, or, when it holds escapes, JSON.parse of the string alone. */
function stringValue(line: string, start: number, end: number): string {
  return ESC.escaped ? (JSON.parse(line.slice(start, end)) as string) : line.slice(start + 1, end - 1);
}

/**
 * The fields of a JSON app line that its record depends on, with the values JSON.parse would give
 * (the last of duplicate keys wins, as in JSON.parse); every line's object has one shape.
 */
type AppFields = {
  [key: string]: unknown;
  requestId: unknown;
  function_request_id: unknown;
  awsRequestId: unknown;
  level: unknown;
  message: unknown;
};
/** An object literal, not a class: esbuild turns class fields into defineProperty calls, several times slower. */
function newAppFields(): AppFields {
  return {
    requestId: undefined,
    function_request_id: undefined,
    awsRequestId: undefined,
    level: undefined,
    message: undefined,
  };
}

/**
 * App lines in JSON (the Node runtime's, Powertools'), read in one character-level pass over the
 * object's key/value pairs, keeping only the fields appRecordOf reads; appRecordOf then makes the
 * record, as for JSON.parse's object. Lines it does not take — whitespace between tokens, escaped
 * keys, error fields, job events, ERROR lines (their error is read from the whole object), a
 * non-string message — return undefined and go to JSON.parse.
 */
function scanAppJson(line: string): LogRecord | undefined {
  const plain = isPlainLine(line);
  const o = newAppFields();
  const end = stepObject(line, 0, plain, (keyStart, keyLength, v) => {
    const field = appField(line, keyStart, keyLength);
    if (field === F.Error) return -1;
    const c = line.charCodeAt(v);
    ESC.escaped = false;
    const next = c === 34 ? stringEnd(line, v, plain, ESC) : valueEnd(line, v, plain);
    if (next < 0 || field === F.None) return next;
    const value =
      c === 34 ? stringValue(line, v, next) : c === 45 || (c >= 48 && c <= 57) ? Number(line.slice(v, next)) : OTHER;
    switch (field) {
      case F.RequestId:
        o.requestId = value;
        break;
      case F.FunctionRequestId:
        o.function_request_id = value;
        break;
      case F.AwsRequestId:
        o.awsRequestId = value;
        break;
      case F.Level:
        o.level = value;
        break;
      case F.Message:
        o.message = value;
        break;
    }
    return next;
  });
  if (end !== line.length) return undefined;
  if (typeof o.message !== "string") return undefined;
  if (typeof o.level === "string") {
    const level = o.level.toUpperCase();
    if (level === "ERROR" || level === "FATAL") return undefined;
  }
  if (plain && !hasNoControls(line)) return undefined;
  return appRecordOf(o);
}

/** Keys scanAppJson cares about (a const enum: inlined as numbers by esbuild). */
const enum F {
  None,
  RequestId,
  FunctionRequestId,
  AwsRequestId,
  Level,
  Message,
  /**
   * Fields that need a full parse: error fields, and jobEvent — a job line is read faster by
   * JSON.parse and readJobEvent than stepped over here (~830 vs ~990 ns on the aligner's lines).
   */
  Error,
}
type AppField = F;

/** Which field the key at [start, start+length) names: by length and first letter, then one comparison. */
function appField(line: string, start: number, length: number): AppField {
  const c = line.charCodeAt(start);
  switch (length) {
    case 5:
      if (c === 108 /* l */) return line.startsWith("level", start) ? F.Level : F.None;
      return c === 101 /* e */ && line.startsWith("error", start) ? F.Error : F.None;
    case 7:
      return c === 109 /* m */ && line.startsWith("message", start) ? F.Message : F.None;
    case 8:
      return c === 106 /* j */ && line.startsWith("jobEvent", start) ? F.Error : F.None;
    case 9:
      if (c === 114 /* r */) return line.startsWith("requestId", start) ? F.RequestId : F.None;
      return c === 101 /* e */ && line.startsWith("errorType", start) ? F.Error : F.None;
    case 10:
      return c === 115 /* s */ && line.startsWith("stackTrace", start) ? F.Error : F.None;
    case 12:
      if (c === 97 /* a */) return line.startsWith("awsRequestId", start) ? F.AwsRequestId : F.None;
      return c === 101 /* e */ && line.startsWith("errorMessage", start) ? F.Error : F.None;
    case 19:
      return c === 102 /* f */ && line.startsWith("function_request_id", start) ? F.FunctionRequestId : F.None;
    default:
      return F.None;
  }
}

/** The parts of a platform record parsePlatformJson reads, with JSON.parse's values (non-strings as OTHER). */
type PlatformRecordFields = {
  [key: string]: unknown;
  requestId: unknown;
  version: unknown;
  status: unknown;
  errorType: unknown;
  runtimeVersion: unknown;
  initializationType: unknown;
  phase: unknown;
  metrics: unknown;
};
/** An object literal, not a class: esbuild turns class fields into defineProperty calls, several times slower. */
function newPlatformRecordFields(): PlatformRecordFields {
  return {
    requestId: undefined,
    version: undefined,
    status: undefined,
    errorType: undefined,
    runtimeVersion: undefined,
    initializationType: undefined,
    phase: undefined,
    metrics: undefined,
  };
}
type PlatformMetrics = {
  [key: string]: unknown;
  durationMs: unknown;
  billedDurationMs: unknown;
  memorySizeMB: unknown;
  maxMemoryUsedMB: unknown;
  initDurationMs: unknown;
  restoreDurationMs: unknown;
  billedRestoreDurationMs: unknown;
};
/** An object literal, not a class: esbuild turns class fields into defineProperty calls, several times slower. */
function newPlatformMetrics(): PlatformMetrics {
  return {
    durationMs: undefined,
    billedDurationMs: undefined,
    memorySizeMB: undefined,
    maxMemoryUsedMB: undefined,
    initDurationMs: undefined,
    restoreDurationMs: undefined,
    billedRestoreDurationMs: undefined,
  };
}

/**
 * Lambda's platform records (`{"time":...,"type":"platform.x","record":{...}}`), stepped over in
 * one pass: the type, and of the record only the fields parsePlatformJson reads, which then makes
 * the record as it does for JSON.parse's object. Undefined for anything unexpected.
 */
function scanPlatformJson(line: string): LogRecord | undefined {
  const plain = isPlainLine(line);
  let type: unknown;
  let record: unknown;
  const end = stepObject(line, 0, plain, (keyStart, keyLength, v) => {
    const c = line.charCodeAt(v);
    if (keyLength === 4 && line.startsWith("type", keyStart)) {
      ESC.escaped = false;
      const next = c === 34 ? stringEnd(line, v, plain, ESC) : valueEnd(line, v, plain);
      if (next >= 0) type = c === 34 ? stringValue(line, v, next) : OTHER;
      return next;
    }
    if (keyLength === 6 && line.startsWith("record", keyStart)) {
      if (c !== 123 /* { */) {
        record = OTHER;
        return valueEnd(line, v, plain);
      }
      const rec = newPlatformRecordFields();
      record = rec;
      return readRecord(line, v, plain, rec);
    }
    return valueEnd(line, v, plain);
  });
  if (end !== line.length) return undefined;
  if (typeof type !== "string" || !type.startsWith("platform.")) return undefined;
  if (plain && !hasNoControls(line)) return undefined;
  return parsePlatformJson(type, record);
}

/** The record object at `i` (its opening brace) into `rec`; index just past it, or -1. */
function readRecord(line: string, i: number, plain: boolean, rec: PlatformRecordFields): number {
  return stepObject(line, i, plain, (keyStart, keyLength, v) => {
    const key = recordKey(line, keyStart, keyLength);
    const c = line.charCodeAt(v);
    if (key === "metrics" && c === 123 /* { */) {
      const metrics = newPlatformMetrics();
      rec.metrics = metrics;
      return readMetrics(line, v, plain, metrics);
    }
    ESC.escaped = false;
    const next = c === 34 ? stringEnd(line, v, plain, ESC) : valueEnd(line, v, plain);
    if (next >= 0 && key !== undefined) setRecordField(rec, key, c === 34 ? stringValue(line, v, next) : OTHER);
    return next;
  });
}

/**
 * rec[key] = value by named stores: a store through a variable key is a slow generic (megamorphic)
 * store, and this runs for every field of every platform record.
 */
function setRecordField(rec: PlatformRecordFields, key: keyof PlatformRecordFields, value: unknown): void {
  switch (key) {
    case "requestId":
      rec.requestId = value;
      break;
    case "version":
      rec.version = value;
      break;
    case "status":
      rec.status = value;
      break;
    case "errorType":
      rec.errorType = value;
      break;
    case "runtimeVersion":
      rec.runtimeVersion = value;
      break;
    case "initializationType":
      rec.initializationType = value;
      break;
    case "phase":
      rec.phase = value;
      break;
    case "metrics":
      rec.metrics = value;
      break;
  }
}

/** into[key] = value by named stores (see setRecordField). */
function setMetric(into: PlatformMetrics, key: keyof PlatformMetrics, value: unknown): void {
  switch (key) {
    case "durationMs":
      into.durationMs = value;
      break;
    case "billedDurationMs":
      into.billedDurationMs = value;
      break;
    case "memorySizeMB":
      into.memorySizeMB = value;
      break;
    case "maxMemoryUsedMB":
      into.maxMemoryUsedMB = value;
      break;
    case "initDurationMs":
      into.initDurationMs = value;
      break;
    case "restoreDurationMs":
      into.restoreDurationMs = value;
      break;
    case "billedRestoreDurationMs":
      into.billedRestoreDurationMs = value;
      break;
  }
}

/** Which record field the key at [start, start+length) names, if parsePlatformJson reads it. */
function recordKey(line: string, start: number, length: number): keyof PlatformRecordFields | undefined {
  switch (length) {
    case 5:
      return line.startsWith("phase", start) ? "phase" : undefined;
    case 6:
      return line.startsWith("status", start) ? "status" : undefined;
    case 7:
      return line.startsWith("version", start) ? "version" : line.startsWith("metrics", start) ? "metrics" : undefined;
    case 9:
      return line.startsWith("requestId", start)
        ? "requestId"
        : line.startsWith("errorType", start)
          ? "errorType"
          : undefined;
    case 14:
      return line.startsWith("runtimeVersion", start) ? "runtimeVersion" : undefined;
    case 18:
      return line.startsWith("initializationType", start) ? "initializationType" : undefined;
    default:
      return undefined;
  }
}

/** Which metric the key at [start, start+length) names, if parsePlatformJson reads it (no slice, no hashing). */
function metricKey(line: string, start: number, length: number): keyof PlatformMetrics | undefined {
  switch (length) {
    case 10:
      return line.startsWith("durationMs", start) ? "durationMs" : undefined;
    case 12:
      return line.startsWith("memorySizeMB", start) ? "memorySizeMB" : undefined;
    case 14:
      return line.startsWith("initDurationMs", start) ? "initDurationMs" : undefined;
    case 15:
      return line.startsWith("maxMemoryUsedMB", start) ? "maxMemoryUsedMB" : undefined;
    case 16:
      return line.startsWith("billedDurationMs", start) ? "billedDurationMs" : undefined;
    case 17:
      return line.startsWith("restoreDurationMs", start) ? "restoreDurationMs" : undefined;
    case 23:
      return line.startsWith("billedRestoreDurationMs", start) ? "billedRestoreDurationMs" : undefined;
    default:
      return undefined;
  }
}

/** The metrics object at `i` into `into`: numbers as numbers, anything else as OTHER; index just past it, or -1. */
function readMetrics(line: string, i: number, plain: boolean, into: PlatformMetrics): number {
  return stepObject(line, i, plain, (keyStart, keyLength, v) => {
    const next = valueEnd(line, v, plain);
    if (next < 0) return -1;
    const key = metricKey(line, keyStart, keyLength);
    const c = line.charCodeAt(v);
    if (key !== undefined) setMetric(into, key, c === 45 || (c >= 48 && c <= 57) ? Number(line.slice(v, next)) : OTHER);
    return next;
  });
}

/**
 * A platform record's fields → its record. Optional fields are set by plain named stores, in a
 * fixed order (no generic setter, no object spread: both are slow generic operations here).
 */
function parsePlatformJson(type: string, recordValue: unknown): LogRecord {
  const rec = (typeof recordValue === "object" && recordValue !== null ? recordValue : {}) as Record<string, unknown>;
  const metrics = (typeof rec["metrics"] === "object" && rec["metrics"] !== null ? rec["metrics"] : {}) as Record<
    string,
    unknown
  >;
  const n = finiteNumber;
  const s = nonEmptyString;
  const requestId = realId(rec["requestId"]);
  switch (type) {
    case "platform.initStart":
    case "platform.restoreStart": {
      const r: LogRecord & { kind: "initStart" } = { kind: "initStart" };
      const runtimeVersion = s(rec["runtimeVersion"]);
      if (runtimeVersion !== undefined) r.runtimeVersion = runtimeVersion;
      const initializationType =
        s(rec["initializationType"]) ?? (type === "platform.restoreStart" ? "snap-start" : undefined);
      if (initializationType !== undefined) r.initializationType = initializationType;
      return r;
    }
    case "platform.initReport": {
      const r: LogRecord & { kind: "initReport" } = { kind: "initReport" };
      const phase = s(rec["phase"]);
      if (phase !== undefined) r.phase = phase;
      const st = status(rec["status"]);
      if (st !== undefined) r.status = st;
      const errorType = s(rec["errorType"]);
      if (errorType !== undefined) r.errorType = errorType;
      const initDurationMs = n(metrics["durationMs"]);
      if (initDurationMs !== undefined) r.initDurationMs = initDurationMs;
      return r;
    }
    case "platform.start":
      if (requestId === undefined) break;
      return typeof rec["version"] === "string"
        ? { kind: "start", requestId, version: rec["version"] }
        : { kind: "start", requestId };
    case "platform.runtimeDone": {
      if (requestId === undefined) break;
      const r: LogRecord & { kind: "runtimeDone" } = { kind: "runtimeDone", requestId };
      const st = status(rec["status"]);
      if (st !== undefined) r.status = st;
      const errorType = s(rec["errorType"]);
      if (errorType !== undefined) r.errorType = errorType;
      const durationMs = n(metrics["durationMs"]);
      if (durationMs !== undefined) r.durationMs = durationMs;
      return r;
    }
    case "platform.report": {
      if (requestId === undefined) break;
      const r: LogRecord & { kind: "report" } = { kind: "report", requestId };
      const durationMs = n(metrics["durationMs"]);
      if (durationMs !== undefined) r.durationMs = durationMs;
      const billedDurationMs = n(metrics["billedDurationMs"]);
      if (billedDurationMs !== undefined) r.billedDurationMs = billedDurationMs;
      const memorySizeMb = n(metrics["memorySizeMB"]);
      if (memorySizeMb !== undefined) r.memorySizeMb = memorySizeMb;
      const maxMemoryUsedMb = n(metrics["maxMemoryUsedMB"]);
      if (maxMemoryUsedMb !== undefined) r.maxMemoryUsedMb = maxMemoryUsedMb;
      const initDurationMs = n(metrics["initDurationMs"]);
      if (initDurationMs !== undefined) r.initDurationMs = initDurationMs;
      const restoreDurationMs = n(metrics["restoreDurationMs"]);
      if (restoreDurationMs !== undefined) r.restoreDurationMs = restoreDurationMs;
      const billedRestoreDurationMs = n(metrics["billedRestoreDurationMs"]);
      if (billedRestoreDurationMs !== undefined) r.billedRestoreDurationMs = billedRestoreDurationMs;
      const st = status(rec["status"]);
      if (st !== undefined) r.status = st;
      const errorType = s(rec["errorType"]);
      if (errorType !== undefined) r.errorType = errorType;
      return r;
    }
  }
  return { kind: "platformOther", type };
}

function finiteNumber(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** One event's message → what it says. Never throws. */
export function parseLogEvent(message: string): LogRecord {
  if (message.charCodeAt(0) === 123 /* { */) {
    const last = message.charCodeAt(message.length - 1);
    const json = parseJson(last === 10 || last === 13 || last === 32 ? message.trimEnd() : message);
    if (json) return json;
  }
  return parseText(message);
}
