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
import { readJobEvent, type JobEvent } from "../job-events.ts";
import { numberAt, numberField, stringField, stringKey, valueKey } from "./json-fields.ts";
import type { ErrorInfo, LogRecord, PlatformStatus, ReportMetrics } from "./records.ts";

const UUID_SRC = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const START_RE = new RegExp(`^START RequestId: (${UUID_SRC})(?:[\\t ]+Version: (\\S+))?`);
const END_RE = new RegExp(`^END RequestId: (${UUID_SRC})`);
const REPORT_RE = new RegExp(`^REPORT RequestId: (${UUID_SRC})`);
const RUNTIME_EXIT_RE = new RegExp(`^RequestId: (${UUID_SRC})[\\t ]+(?:Error: )?([^\\r\\n]*)(?:[\\r\\n]+[\\t ]*(\\S+))?`);
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

/** The usual REPORT: tab-separated `Key: value` fields, dispatched by key length. */
function reportByTabs(requestId: string, line: string): LogRecord {
  const r: LogRecord & { kind: "report" } = { kind: "report", requestId };
  const parts = line.split("\t");
  for (let j = 1; j < parts.length; j++) {
    const p = parts[j]!;
    const colon = p.indexOf(": ");
    if (colon < 0) continue;
    const value = p.slice(colon + 2);
    switch (colon) {
      case 6:
        if (p.startsWith("Status")) setIfDefined(r, "status", status(value));
        break;
      case 8:
        if (p.startsWith("Duration")) setIfDefined(r, "durationMs", num(value));
        break;
      case 10:
        if (p.startsWith("Error Type") && value.trim() !== "") r.errorType = value.trim();
        break;
      case 11:
        if (p.startsWith("Memory Size")) setIfDefined(r, "memorySizeMb", num(value));
        break;
      case 13:
        if (p.startsWith("Init Duration")) setIfDefined(r, "initDurationMs", num(value));
        break;
      case 15:
        if (p.startsWith("Billed Duration")) setIfDefined(r, "billedDurationMs", num(value));
        else if (p.startsWith("Max Memory Used")) setIfDefined(r, "maxMemoryUsedMb", num(value));
        break;
      case 16:
        if (p.startsWith("Restore Duration")) setIfDefined(r, "restoreDurationMs", num(value));
        break;
      case 23:
        if (p.startsWith("Billed Restore Duration")) setIfDefined(r, "billedRestoreDurationMs", num(value));
        break;
    }
  }
  return r;
}

function parseText(message: string): LogRecord {
  switch (message.charCodeAt(0)) {
    case 83 /* S */: {
      const m = START_RE.exec(message);
      if (m) return m[2] !== undefined ? { kind: "start", requestId: m[1]!, version: m[2] } : { kind: "start", requestId: m[1]! };
      break;
    }
    case 69 /* E */: {
      const m = END_RE.exec(message);
      if (m) return { kind: "end", requestId: m[1]! };
      if (message.startsWith("EXTENSION")) return { kind: "platformOther", type: "EXTENSION" };
      break;
    }
    case 82 /* R */: {
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
    case 73 /* I */: {
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
  const errorType = typeof o["errorType"] === "string" ? o["errorType"] : typeof o["name"] === "string" ? o["name"] : undefined;
  const errorMessage = typeof o["errorMessage"] === "string" ? o["errorMessage"] : typeof o["message"] === "string" ? o["message"] : undefined;
  if (errorType === undefined && errorMessage === undefined) return undefined;
  const out: ErrorInfo = {};
  if (errorType !== undefined) out.errorType = errorType;
  if (errorMessage !== undefined) out.errorMessage = errorMessage;
  return out;
}

const K = {
  requestId: stringKey("requestId"),
  functionRequestId: stringKey("function_request_id"),
  level: stringKey("level"),
  version: stringKey("version"),
  status: stringKey("status"),
  errorType: stringKey("errorType"),
  runtimeVersion: stringKey("runtimeVersion"),
  initializationType: stringKey("initializationType"),
  phase: stringKey("phase"),
} as const;

function realId(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && value !== "undefined" && value !== "null" ? value : undefined;
}

function parseJson(message: string): LogRecord | undefined {
  // Lambda's platform records start {"time":"<ISO>","type":"platform.<x>", ...
  if (message.startsWith('{"time":"')) {
    const timeEnd = message.indexOf('"', 9);
    if (timeEnd > 0 && message.startsWith('","type":"platform.', timeEnd) && !message.includes("\\")) {
      const fast = platformByKeys(message, timeEnd + 2);
      if (fast) return fast;
    }
  } else {
    const fast = scanAppJson(message);
    if (fast) return fast;
  }
  let obj: unknown;
  try {
    obj = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if (typeof o["type"] === "string" && o["type"].startsWith("platform.")) return parsePlatformJson(o["type"], o["record"]);

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
    const error = errorInfo(o["errorType"] !== undefined || o["errorMessage"] !== undefined ? o : undefined) ?? errorInfo(o["message"]) ?? errorInfo(o["error"]);
    if (error) r.error = error;
  }
  return r;
}

const DURATION_MS = valueKey("durationMs");
const REPORT_METRICS = new Map<string, keyof ReportMetrics>([
  ["durationMs", "durationMs"],
  ["billedDurationMs", "billedDurationMs"],
  ["memorySizeMB", "memorySizeMb"],
  ["maxMemoryUsedMB", "maxMemoryUsedMb"],
  ["initDurationMs", "initDurationMs"],
  ["restoreDurationMs", "restoreDurationMs"],
  ["billedRestoreDurationMs", "billedRestoreDurationMs"],
]);

/** One pass over the flat `"metrics":{...}` object of platform.report. False if it is not flat numbers. */
function readMetrics(line: string, metricsAt: number, into: ReportMetrics): boolean {
  if (metricsAt >= line.length) return true;
  let i = metricsAt + 11; // after '"metrics":{'
  while (i < line.length) {
    const c = line.charCodeAt(i);
    if (c === 125 /* } */) return true;
    if (c !== 34 /* " */) {
      i++;
      continue;
    }
    const keyEnd = line.indexOf('"', i + 1);
    if (keyEnd < 0 || line.charCodeAt(keyEnd + 1) !== 58 /* : */) return false;
    const value = numberAt(line, keyEnd + 2);
    if (value === undefined) return false;
    const target = REPORT_METRICS.get(line.slice(i + 1, keyEnd));
    if (target !== undefined) into[target] = value;
    const comma = line.indexOf(",", keyEnd + 2);
    const close = line.indexOf("}", keyEnd + 2);
    i = comma >= 0 && comma < close ? comma + 1 : close;
    if (i < 0) return false;
  }
  return false;
}

/**
 * App lines in JSON (the Node runtime's, Powertools', the aligner's job events), read in one
 * character-level pass over the object's key/value pairs: the request id, the level and, for job
 * events, their fields. Anything it does not fully understand — escapes in a value it needs, nested
 * values, error fields, ERROR lines — returns undefined and is read with JSON.parse instead, so this
 * only ever speeds up, never changes, what is read.
 */
function scanAppJson(line: string): LogRecord | undefined {
  const n = line.length;
  let requestId: string | undefined;
  let level: string | undefined;
  let kind: string | undefined;
  let inputBucket: string | undefined;
  let inputKey: string | undefined;
  let mafftArgs: string | undefined;
  let outputBucket: string | undefined;
  let outputKey: string | undefined;
  let inputBytes: number | undefined;
  let sequences: number | undefined;
  let mafftDurationMs: number | undefined;
  const plain = line.indexOf("\\") < 0;
  let i = 1;
  for (;;) {
    if (line.charCodeAt(i) !== 34 /* " */) return undefined;
    const keyEnd = line.indexOf('"', i + 1);
    if (keyEnd < 0 || line.charCodeAt(keyEnd + 1) !== 58 /* : */) return undefined;
    const field = appField(line, i + 1, keyEnd - i - 1);
    if (field === F.Error) return undefined;
    const v = keyEnd + 2;
    const c = line.charCodeAt(v);
    let next: number;
    if (c === 34 /* " */) {
      let k: number;
      let escaped = false;
      if (plain) {
        // No backslash anywhere: the next quote closes the string (a native search, not a loop).
        k = line.indexOf('"', v + 1);
        if (k < 0) return undefined;
      } else {
        for (k = v + 1; k < n; k++) {
          const d = line.charCodeAt(k);
          if (d === 34) break;
          if (d === 92 /* \ */) {
            escaped = true;
            k++;
          }
        }
        if (k >= n) return undefined;
      }
      next = k + 1;
      if (field !== F.None) {
        if (escaped) return undefined;
        const str = line.slice(v + 1, k);
        if (field === F.RequestId) requestId ??= realId(str);
        else if (field === F.Level) level = str.toUpperCase();
        else if (field === F.Kind) kind = str;
        else if (field === F.InputBucket) inputBucket = str;
        else if (field === F.InputKey) inputKey = str;
        else if (field === F.MafftArgs) mafftArgs = str;
        else if (field === F.OutputBucket) outputBucket = str;
        else if (field === F.OutputKey) outputKey = str;
      }
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      next = v + 1;
      while (next < n) {
        const d = line.charCodeAt(next);
        if (!((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45)) break;
        next++;
      }
      if (field !== F.None) {
        const num = Number(line.slice(v, next));
        if (field === F.InputBytes) inputBytes = num;
        else if (field === F.Sequences) sequences = num;
        else if (field === F.MafftDurationMs) mafftDurationMs = num;
      }
    } else if (line.startsWith("true", v) || line.startsWith("null", v)) next = v + 4;
    else if (line.startsWith("false", v)) next = v + 5;
    else return undefined;
    const sep = line.charCodeAt(next);
    if (sep === 125 /* } */) {
      if (next !== n - 1) return undefined;
      break;
    }
    if (sep !== 44 /* , */) return undefined;
    i = next + 1;
  }
  if (level === "ERROR" || level === "FATAL") return undefined;
  if (kind !== undefined) {
    let event: JobEvent;
    if (kind === "accepted" && inputBucket !== undefined && inputKey !== undefined && Number.isFinite(inputBytes) && Number.isFinite(sequences)) {
      event = { jobEvent: "accepted", inputBucket, inputKey, inputBytes: inputBytes!, sequences: sequences!, mafftArgs: mafftArgs ?? "" };
    } else if (kind === "succeeded" && outputBucket !== undefined && outputKey !== undefined && Number.isFinite(mafftDurationMs)) {
      event = { jobEvent: "succeeded", outputBucket, outputKey, mafftDurationMs: mafftDurationMs! };
    } else {
      return undefined;
    }
    return requestId !== undefined ? { kind: "job", requestId, event } : { kind: "job", event };
  }
  const r: LogRecord & { kind: "app" } = { kind: "app", message: line };
  if (requestId !== undefined) r.requestId = requestId;
  if (level !== undefined) r.level = level;
  return r;
}

/** Keys scanAppJson cares about (a const enum: inlined as numbers by esbuild). */
const enum F {
  None,
  RequestId,
  Level,
  Kind,
  InputBucket,
  InputKey,
  MafftArgs,
  OutputBucket,
  OutputKey,
  InputBytes,
  Sequences,
  MafftDurationMs,
  /** Fields that need a full parse. */
  Error,
}
type AppField = F;

/** Which field the key at [start, start+length) names, without slicing it out. */
function appField(line: string, start: number, length: number): AppField {
  switch (length) {
    case 5:
      return line.startsWith("level", start) ? F.Level : line.startsWith("error", start) ? F.Error : F.None;
    case 8:
      return line.startsWith("jobEvent", start) ? F.Kind : line.startsWith("inputKey", start) ? F.InputKey : F.None;
    case 9:
      if (line.startsWith("requestId", start)) return F.RequestId;
      if (line.startsWith("errorType", start)) return F.Error;
      if (line.startsWith("mafftArgs", start)) return F.MafftArgs;
      if (line.startsWith("outputKey", start)) return F.OutputKey;
      return line.startsWith("sequences", start) ? F.Sequences : F.None;
    case 10:
      return line.startsWith("inputBytes", start) ? F.InputBytes : line.startsWith("stackTrace", start) ? F.Error : F.None;
    case 11:
      return line.startsWith("inputBucket", start) ? F.InputBucket : F.None;
    case 12:
      if (line.startsWith("outputBucket", start)) return F.OutputBucket;
      if (line.startsWith("awsRequestId", start)) return F.RequestId;
      return line.startsWith("errorMessage", start) ? F.Error : F.None;
    case 15:
      return line.startsWith("mafftDurationMs", start) ? F.MafftDurationMs : F.None;
    case 19:
      return line.startsWith("function_request_id", start) ? F.RequestId : F.None;
    default:
      return F.None;
  }
}

/**
 * Lambda's platform records, read by key (json-fields.ts) instead of JSON.parse. Returns
 * undefined for anything unexpected, and the caller parses the line fully.
 */
function platformByKeys(line: string, typeAt: number): LogRecord | undefined {
  const typeEnd = line.indexOf('"', typeAt + 8);
  if (typeEnd < 0) return undefined;
  const type = line.slice(typeAt + 8, typeEnd);
  const recordAt = line.indexOf('"record":{');
  if (recordAt < 0) return undefined;
  // No closures here: this runs for every platform line (and tsx wraps each closure it creates).
  const m = line.indexOf('"metrics":{', recordAt);
  const metricsAt = m < 0 ? line.length : m;
  switch (type) {
    case "platform.start": {
      const requestId = realId(stringField(line, K.requestId, recordAt));
      if (requestId === undefined) return undefined;
      const version = stringField(line, K.version, recordAt);
      return version !== undefined ? { kind: "start", requestId, version } : { kind: "start", requestId };
    }
    case "platform.report": {
      const requestId = realId(stringField(line, K.requestId, recordAt));
      if (requestId === undefined) return undefined;
      const r: LogRecord & { kind: "report" } = { kind: "report", requestId };
      if (!readMetrics(line, metricsAt, r)) return undefined;
      setIfDefined(r, "status", status(stringField(line, K.status, recordAt)));
      setIfDefined(r, "errorType", stringField(line, K.errorType, recordAt));
      return r;
    }
    case "platform.runtimeDone": {
      const requestId = realId(stringField(line, K.requestId, recordAt));
      if (requestId === undefined) return undefined;
      const r: LogRecord & { kind: "runtimeDone" } = { kind: "runtimeDone", requestId };
      setIfDefined(r, "status", status(stringField(line, K.status, recordAt)));
      setIfDefined(r, "errorType", stringField(line, K.errorType, recordAt));
      setIfDefined(r, "durationMs", numberField(line, DURATION_MS, metricsAt));
      return r;
    }
    case "platform.initStart":
    case "platform.restoreStart": {
      const r: LogRecord & { kind: "initStart" } = { kind: "initStart" };
      setIfDefined(r, "runtimeVersion", stringField(line, K.runtimeVersion, recordAt));
      setIfDefined(r, "initializationType", stringField(line, K.initializationType, recordAt) ?? (type === "platform.restoreStart" ? "snap-start" : undefined));
      return r;
    }
    case "platform.initReport": {
      const r: LogRecord & { kind: "initReport" } = { kind: "initReport" };
      setIfDefined(r, "phase", stringField(line, K.phase, recordAt));
      setIfDefined(r, "status", status(stringField(line, K.status, recordAt)));
      setIfDefined(r, "errorType", stringField(line, K.errorType, recordAt));
      setIfDefined(r, "initDurationMs", numberField(line, DURATION_MS, metricsAt));
      return r;
    }
    default:
      return { kind: "platformOther", type };
  }
}

function parsePlatformJson(type: string, recordValue: unknown): LogRecord {
  const rec = (typeof recordValue === "object" && recordValue !== null ? recordValue : {}) as Record<string, unknown>;
  const metrics = (typeof rec["metrics"] === "object" && rec["metrics"] !== null ? rec["metrics"] : {}) as Record<string, unknown>;
  const n = finiteNumber;
  const s = nonEmptyString;
  const requestId = realId(rec["requestId"]);
  switch (type) {
    case "platform.initStart":
    case "platform.restoreStart": {
      const r: LogRecord & { kind: "initStart" } = { kind: "initStart" };
      setIfDefined(r, "runtimeVersion", s(rec["runtimeVersion"]));
      setIfDefined(r, "initializationType", s(rec["initializationType"]) ?? (type === "platform.restoreStart" ? "snap-start" : undefined));
      return r;
    }
    case "platform.initReport": {
      const r: LogRecord & { kind: "initReport" } = { kind: "initReport" };
      setIfDefined(r, "phase", s(rec["phase"]));
      setIfDefined(r, "status", status(rec["status"]));
      setIfDefined(r, "errorType", s(rec["errorType"]));
      setIfDefined(r, "initDurationMs", n(metrics["durationMs"]));
      return r;
    }
    case "platform.start":
      if (requestId === undefined) break;
      return typeof rec["version"] === "string" ? { kind: "start", requestId, version: rec["version"] } : { kind: "start", requestId };
    case "platform.runtimeDone": {
      if (requestId === undefined) break;
      const r: LogRecord & { kind: "runtimeDone" } = { kind: "runtimeDone", requestId };
      setIfDefined(r, "status", status(rec["status"]));
      setIfDefined(r, "errorType", s(rec["errorType"]));
      setIfDefined(r, "durationMs", n(metrics["durationMs"]));
      return r;
    }
    case "platform.report": {
      if (requestId === undefined) break;
      const m: ReportMetrics = {};
      setIfDefined(m, "durationMs", n(metrics["durationMs"]));
      setIfDefined(m, "billedDurationMs", n(metrics["billedDurationMs"]));
      setIfDefined(m, "memorySizeMb", n(metrics["memorySizeMB"]));
      setIfDefined(m, "maxMemoryUsedMb", n(metrics["maxMemoryUsedMB"]));
      setIfDefined(m, "initDurationMs", n(metrics["initDurationMs"]));
      setIfDefined(m, "restoreDurationMs", n(metrics["restoreDurationMs"]));
      setIfDefined(m, "billedRestoreDurationMs", n(metrics["billedRestoreDurationMs"]));
      const r: LogRecord & { kind: "report" } = { kind: "report", requestId, ...m };
      setIfDefined(r, "status", status(rec["status"]));
      setIfDefined(r, "errorType", s(rec["errorType"]));
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
