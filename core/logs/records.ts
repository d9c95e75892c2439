/**
 * What one CloudWatch log event of a Lambda function says, once parsed. Text and JSON log formats
 * (and old and new generations of each) all map onto these records.
 */
import type { JobEvent } from "../job-events.ts";

/** Lambda's invocation outcome as reported by the platform (JSON `status`, text `Status:`). */
export type PlatformStatus = "success" | "failure" | "error" | "timeout";

export interface ReportMetrics {
  durationMs?: number;
  billedDurationMs?: number;
  memorySizeMb?: number;
  maxMemoryUsedMb?: number;
  initDurationMs?: number;
  restoreDurationMs?: number;
  billedRestoreDurationMs?: number;
}

export interface ErrorInfo {
  errorType?: string;
  errorMessage?: string;
}

export type LogRecord =
  /** INIT_START / platform.initStart, and RESTORE_START (SnapStart): an environment starts. */
  | { kind: "initStart"; runtimeVersion?: string; initializationType?: string }
  /** INIT_REPORT / platform.initReport. */
  | { kind: "initReport"; phase?: string; status?: PlatformStatus; errorType?: string; initDurationMs?: number }
  | { kind: "start"; requestId: string; version?: string }
  | { kind: "end"; requestId: string }
  | ({ kind: "report"; requestId: string; status?: PlatformStatus; errorType?: string } & ReportMetrics)
  /** platform.runtimeDone (JSON format only). */
  | { kind: "runtimeDone"; requestId: string; status?: PlatformStatus; errorType?: string; durationMs?: number }
  /** Old generation: `<time> <id> Task timed out after 3.00 seconds`, written after REPORT. */
  | { kind: "timeoutLine"; requestId: string; seconds?: number }
  /** Old generation: `RequestId: <id> Error: Runtime exited with error: signal: killed\nRuntime.ExitError`. */
  | { kind: "runtimeExit"; requestId: string; message: string; errorType?: string }
  /**
   * A line written by the function (console.*, a logger). `requestId` is absent when the line
   * carries none (`undefined` before the first invoke, raw JSON without one).
   */
  | {
      kind: "app";
      requestId?: string;
      level?: string;
      message: string;
      /** An error object in the line (Invoke Error, Uncaught Exception, console.error(err), ...). */
      error?: ErrorInfo;
      /** The runtime reporting that the invocation failed (text `Invoke Error`, uncaught errors). */
      invocationError?: boolean;
    }
  /** One of the aligner's structured job events. */
  | { kind: "job"; requestId?: string; event: JobEvent }
  /** Platform lines with nothing for the status (EXTENSION, TELEMETRY, XRAY, logsDropped, ...). */
  | { kind: "platformOther"; type: string }
  /** Plain text with no request id (a child process writing to stderr, say). */
  | { kind: "text"; text: string };

export type LogRecordKind = LogRecord["kind"];

/** The request a record names, if any. */
export function recordRequestId(r: LogRecord): string | undefined {
  switch (r.kind) {
    case "start":
    case "end":
    case "report":
    case "runtimeDone":
    case "timeoutLine":
    case "runtimeExit":
      return r.requestId;
    case "app":
    case "job":
      return r.requestId;
    default:
      return undefined;
  }
}
