/**
 * What a local execution environment (parent) and its runtime (child process) say to each other.
 *
 * - parent → child: one JSON line per invocation on the child's stdin.
 * - child → parent: JSON-line frames on fd 3, the stand-in for Lambda's telemetry log fd. Console
 *   lines travel here already formatted (one frame = one CloudWatch event, newlines included),
 *   so they stay one event each, as in Lambda; raw stdout/stderr writes travel on fds 1 and 2 and
 *   become one event per line.
 *
 * When a handler finishes, the runtime writes a flush marker on stdout and stderr before the
 * result frame, so the parent knows every byte the invocation wrote has arrived before it prints
 * END and REPORT.
 */

/** The child's fd carrying frames (Lambda passes `_LAMBDA_TELEMETRY_LOG_FD` the same way). */
export const TELEMETRY_FD = 3;

/** Variables only the local runtime reads; it deletes them from `process.env` before user code runs. */
export const RUNTIME_ENV = {
  telemetryFd: "_LAMBDA_TELEMETRY_LOG_FD",
  /** Random per environment: user output cannot forge the flush marker. */
  flushToken: "_LOCAL_LAMBDA_FLUSH_TOKEN",
} as const;

export function flushMarker(token: string, requestId: string): string {
  return `\u0000${token}:${requestId}\u0000\n`;
}

export interface InvokeMessage {
  t: "invoke";
  requestId: string;
  event: unknown;
  /** Epoch ms when the invocation times out (`getRemainingTimeInMillis`). */
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId: string;
}

/** `{errorType, errorMessage, trace}`: what the Node runtime posts to Lambda for a failed invocation. */
export interface InvokeErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export type Frame =
  /** A console line, formatted as the Node runtime formats it. `ts` in epoch ms. */
  | { t: "log"; ts: number; msg: string }
  /** The handler module is loaded; the environment can take invocations. */
  | { t: "ready" }
  /** Loading the handler failed (Runtime.ImportModuleError, Runtime.HandlerNotFound, ...). */
  | { t: "initError"; error: InvokeErrorPayload }
  | { t: "result"; requestId: string; ok: true; payload: unknown }
  | { t: "result"; requestId: string; ok: false; error: InvokeErrorPayload };
