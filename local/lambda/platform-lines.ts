/**
 * The lines Lambda itself writes into a function's log stream, in the Text and JSON log formats:
 * INIT_START / platform.initStart, START / platform.start, END, REPORT / platform.report, and
 * INIT_REPORT / platform.initReport when the init fails. Pure: the execution environment decides
 * what happened, this module only says it the way Lambda does.
 *
 * Text lines end in a newline and REPORT fields are tab-separated with a trailing tab, as
 * CloudWatch shows them. The JSON format writes records only for events at the INFO system log
 * level (the stack's setting): initStart, start, report and initReport; no END line.
 */
import type { LogFormat } from "../../core/config.ts";

export interface RuntimeIdentity {
  functionName: string;
  functionVersion: string;
  /** e.g. `nodejs:22.local` */
  runtimeVersion: string;
  runtimeVersionArn: string;
}

export type ReportStatus =
  | { status: "success" }
  /** The handler threw or rejected: Text REPORT carries no Status, JSON says `error` with the error type. */
  | { status: "handlerError"; errorType: string }
  | { status: "timeout" }
  /** The platform ended the invocation: out of memory, the runtime exited, a failed init. */
  | { status: "error"; errorType: string };

export interface ReportFields {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on the first invocation of an environment (cold start). */
  initDurationMs?: number;
  outcome: ReportStatus;
}

const ms2 = (v: number) => v.toFixed(2);
/** Lambda prints durations with two decimals in Text, and with up to three in JSON metrics. */
const ms3 = (v: number) => Math.round(v * 1000) / 1000;

export function initStartLine(format: LogFormat, at: Date, id: RuntimeIdentity): string {
  if (format === "Text")
    return `INIT_START Runtime Version: ${id.runtimeVersion}\tRuntime Version ARN: ${id.runtimeVersionArn}\n`;
  return platformRecord(at, "platform.initStart", {
    initializationType: "on-demand",
    phase: "init",
    runtimeVersion: id.runtimeVersion,
    runtimeVersionArn: id.runtimeVersionArn,
    functionName: id.functionName,
    functionVersion: id.functionVersion,
  });
}

export function startLine(format: LogFormat, at: Date, requestId: string, version: string): string {
  if (format === "Text") return `START RequestId: ${requestId} Version: ${version}\n`;
  return platformRecord(at, "platform.start", { requestId, version });
}

/** Text only: the JSON format has no END record at the INFO level. */
export function endLine(format: LogFormat, requestId: string): string | undefined {
  return format === "Text" ? `END RequestId: ${requestId}\n` : undefined;
}

export function reportLine(format: LogFormat, at: Date, r: ReportFields): string {
  if (format === "Text") {
    const fields = [
      `Duration: ${ms2(r.durationMs)} ms`,
      `Billed Duration: ${r.billedDurationMs} ms`,
      `Memory Size: ${r.memorySizeMb} MB`,
      `Max Memory Used: ${r.maxMemoryUsedMb} MB`,
    ];
    if (r.initDurationMs !== undefined) fields.push(`Init Duration: ${ms2(r.initDurationMs)} ms`);
    if (r.outcome.status === "timeout") fields.push("Status: timeout");
    if (r.outcome.status === "error") fields.push("Status: error", `Error Type: ${r.outcome.errorType}`);
    return `REPORT RequestId: ${r.requestId}\t${fields.join("\t")}\t\n`;
  }
  const metrics: Record<string, number> = {
    durationMs: ms3(r.durationMs),
    billedDurationMs: r.billedDurationMs,
    memorySizeMB: r.memorySizeMb,
    maxMemoryUsedMB: r.maxMemoryUsedMb,
  };
  if (r.initDurationMs !== undefined) metrics["initDurationMs"] = ms3(r.initDurationMs);
  const record: Record<string, unknown> = { requestId: r.requestId, metrics };
  switch (r.outcome.status) {
    case "success":
    case "timeout":
      record["status"] = r.outcome.status;
      break;
    case "handlerError":
    case "error":
      record["status"] = "error";
      record["errorType"] = r.outcome.errorType;
  }
  return platformRecord(at, "platform.report", record);
}

/** A failed (or timed-out) init, before the invocation that triggered it is started. */
export function initReportLine(
  format: LogFormat,
  at: Date,
  initDurationMs: number,
  outcome: { status: "error"; errorType: string } | { status: "timeout" },
): string {
  if (format === "Text") {
    const status = outcome.status === "timeout" ? "Status: timeout" : `Status: error\tError Type: ${outcome.errorType}`;
    return `INIT_REPORT Init Duration: ${ms2(initDurationMs)} ms\tPhase: init\t${status}\n`;
  }
  return platformRecord(at, "platform.initReport", {
    initializationType: "on-demand",
    phase: "init",
    status: outcome.status,
    ...(outcome.status === "error" ? { errorType: outcome.errorType } : {}),
    metrics: { durationMs: ms3(initDurationMs) },
  });
}

/**
 * The old-style line Lambda writes when the runtime process dies during an invocation, before END.
 * Kept for a crash that is neither a timeout nor out of memory.
 */
export function runtimeExitLine(format: LogFormat, _at: Date, requestId: string, reason: string): string | undefined {
  if (format === "Text")
    return `RequestId: ${requestId} Error: Runtime exited with error: ${reason}\nRuntime.ExitError\n`;
  return undefined;
}

/** Billing: the invoke rounded up to the millisecond, plus the init on a cold start (billed since August 2025). */
export function billedMs(durationMs: number, initDurationMs: number | undefined): number {
  return Math.max(1, Math.ceil(durationMs + (initDurationMs ?? 0)));
}

function platformRecord(at: Date, type: string, record: Record<string, unknown>): string {
  return JSON.stringify({ time: at.toISOString(), type, record });
}

/** `2026/11/24/[$LATEST]af2b1e1843b84a2d80c67840ae3ffa72`: Lambda's stream name for a new environment. */
export function logStreamName(at: Date, version: string, hex32: string): string {
  const d = at.toISOString().slice(0, 10).replace(/-/g, "/");
  return `${d}/[${version}]${hex32}`;
}
