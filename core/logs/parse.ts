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

/** `Key: value` pairs of a platform line's first line, found by key. */
function keyValues(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const firstLine = line.split(/[\r\n]/, 1)[0] ?? "";
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
  const m = /^-?\d+(?:\.\d+)?/.exec(value);
  return m ? Number(m[0]) : undefined;
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
  const kv = keyValues(message);
  const r: LogRecord & { kind: "report" } = { kind: "report", requestId };
  setIfDefined(r, "durationMs", num(kv.get("Duration")));
  setIfDefined(r, "billedDurationMs", num(kv.get("Billed Duration")));
  setIfDefined(r, "memorySizeMb", num(kv.get("Memory Size")));
  setIfDefined(r, "maxMemoryUsedMb", num(kv.get("Max Memory Used")));
  setIfDefined(r, "initDurationMs", num(kv.get("Init Duration")));
  setIfDefined(r, "restoreDurationMs", num(kv.get("Restore Duration")));
  setIfDefined(r, "billedRestoreDurationMs", num(kv.get("Billed Restore Duration")));
  setIfDefined(r, "status", status(kv.get("Status")));
  setIfDefined(r, "errorType", kv.get("Error Type") || undefined);
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
        const kv = keyValues(message.slice("INIT_START".length));
        const r: LogRecord & { kind: "initStart" } = { kind: "initStart" };
        setIfDefined(r, "runtimeVersion", kv.get("Runtime Version") || undefined);
        return r;
      }
      if (message.startsWith("INIT_REPORT")) {
        const kv = keyValues(message.slice("INIT_REPORT".length));
        const r: LogRecord & { kind: "initReport" } = { kind: "initReport" };
        setIfDefined(r, "initDurationMs", num(kv.get("Init Duration")));
        setIfDefined(r, "phase", kv.get("Phase") || undefined);
        setIfDefined(r, "status", status(kv.get("Status")));
        setIfDefined(r, "errorType", kv.get("Error Type") || undefined);
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

const JSON_ID_RE = /[{,]"(?:requestId|function_request_id)":"([^"\\]+)"/;
const JSON_LEVEL_RE = /[{,]"level":"([A-Za-z]+)"/;

function realId(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" && value !== "undefined" && value !== "null" ? value : undefined;
}

function parseJson(message: string): LogRecord | undefined {
  // Fast path: plain app lines (the bulk of any stream) only need their request id and level.
  if (!message.includes('"platform.') && !message.includes('"jobEvent"') && !message.includes("rror")) {
    if (message.charCodeAt(1) !== 34 /* " */ || !message.endsWith("}")) return undefined;
    const r: LogRecord & { kind: "app" } = { kind: "app", message };
    const id = realId(JSON_ID_RE.exec(message)?.[1]);
    if (id !== undefined) r.requestId = id;
    const level = JSON_LEVEL_RE.exec(message)?.[1];
    if (level !== undefined) r.level = level.toUpperCase();
    return r;
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
  const error = errorInfo(o["errorType"] !== undefined || o["errorMessage"] !== undefined ? o : undefined) ?? errorInfo(o["message"]) ?? errorInfo(o["error"]);
  if (error && (r.level === "ERROR" || r.level === "FATAL")) r.error = error;
  return r;
}

function parsePlatformJson(type: string, recordValue: unknown): LogRecord {
  const rec = (typeof recordValue === "object" && recordValue !== null ? recordValue : {}) as Record<string, unknown>;
  const metrics = (typeof rec["metrics"] === "object" && rec["metrics"] !== null ? rec["metrics"] : {}) as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const s = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
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

/** One event's message → what it says. Never throws. */
export function parseLogEvent(message: string): LogRecord {
  if (message.charCodeAt(0) === 123 /* { */) {
    const json = parseJson(message.trimEnd());
    if (json) return json;
  }
  return parseText(message);
}
