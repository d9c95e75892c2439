/**
 * Facts: what one log event contributes to one request's status, keyed so that the same event
 * always yields the same key and value. A job record stores its facts as a map and is *derived*
 * from them (derive.ts), so merging facts is a set union: idempotent, and the order in which
 * events arrive cannot matter.
 *
 * Keys:
 *   "e<event id>"   an event naming the request (START, REPORT, an error line, a job event, ...);
 *                   CloudWatch event ids are unique in the log group
 *   "c<position>@<anchor>"  an event without a request id (INIT_START, INIT_REPORT, an
 *                   `undefined`-id error) claimed by this request through the event at <anchor>
 *   "d<position>@<anchor>"  that claim withdrawn: the event belongs to an earlier anchor of the
 *                   stream (possibly another attempt of the same request)
 */
import type { JobEvent } from "../job-events.ts";
import type { LogRecord, PlatformStatus, ReportMetrics } from "../logs/records.ts";
import type { Position } from "./position.ts";

type Body<K extends FactBody["k"]> = Extract<FactBody, { k: K }>;

export type FactBody =
  | { k: "start" }
  | { k: "end" }
  | ({ k: "report"; st?: PlatformStatus; et?: string } & ReportMetrics)
  | { k: "done"; st?: PlatformStatus; et?: string }
  | { k: "timeout"; sec?: number }
  | { k: "exit"; msg: string; et?: string }
  /** An error line: `inv` when the runtime says the invocation failed. */
  | { k: "error"; et?: string; em?: string; inv: boolean }
  | { k: "job"; ev: JobEvent }
  /** A claimed id-less event: `a` is the position of the event that anchors it to this request. */
  | { k: "claim"; a: Position; what: IdlessEffect }
  | { k: "disown" };

/** What an event without a request id can tell about the request it belongs to. */
export type IdlessEffect =
  | { kind: "initStart"; initializationType?: string }
  | { kind: "initReport"; phase?: string; st?: PlatformStatus; et?: string; initDurationMs?: number }
  | { kind: "error"; et?: string; em?: string };

export interface Fact {
  /** Log stream of the event. */
  s: string;
  /** Event timestamp (ms). */
  t: number;
  /** Event id (with the timestamp, the event's place in its stream: see position.ts). */
  i: string;
  b: FactBody;
}

export const factKey = (eventId: string): string => `e${eventId}`;
export const claimKey = (p: Position, anchor: Position): string => `c${p}@${anchor}`;
export const disownKey = (p: Position, anchor: Position): string => `d${p}@${anchor}`;

/** The facts a record with a request id contributes (most app lines contribute none). */
export function factBodyOf(record: LogRecord): FactBody | undefined {
  switch (record.kind) {
    case "start":
      return { k: "start" };
    case "end":
      return { k: "end" };
    case "report": {
      // Field by field rather than object rest: this runs for every REPORT.
      const b: Body<"report"> = { k: "report" };
      if (record.durationMs !== undefined) b.durationMs = record.durationMs;
      if (record.billedDurationMs !== undefined) b.billedDurationMs = record.billedDurationMs;
      if (record.memorySizeMb !== undefined) b.memorySizeMb = record.memorySizeMb;
      if (record.maxMemoryUsedMb !== undefined) b.maxMemoryUsedMb = record.maxMemoryUsedMb;
      if (record.initDurationMs !== undefined) b.initDurationMs = record.initDurationMs;
      if (record.restoreDurationMs !== undefined) b.restoreDurationMs = record.restoreDurationMs;
      if (record.billedRestoreDurationMs !== undefined) b.billedRestoreDurationMs = record.billedRestoreDurationMs;
      if (record.status !== undefined) b.st = record.status;
      if (record.errorType !== undefined) b.et = record.errorType;
      return b;
    }
    case "runtimeDone": {
      const b: FactBody = { k: "done" };
      if (record.status !== undefined) b.st = record.status;
      if (record.errorType !== undefined) b.et = record.errorType;
      return b;
    }
    case "timeoutLine":
      return record.seconds !== undefined ? { k: "timeout", sec: record.seconds } : { k: "timeout" };
    case "runtimeExit":
      return record.errorType !== undefined
        ? { k: "exit", msg: record.message, et: record.errorType }
        : { k: "exit", msg: record.message };
    case "app": {
      if (!record.error && !record.invocationError) return undefined;
      const b: FactBody = { k: "error", inv: record.invocationError === true };
      if (record.error?.errorType !== undefined) b.et = record.error.errorType;
      if (record.error?.errorMessage !== undefined) b.em = record.error.errorMessage;
      return b;
    }
    case "job":
      return { k: "job", ev: record.event };
    default:
      return undefined;
  }
}

/** What an id-less record can tell, if anything worth attributing. */
export function idlessEffectOf(record: LogRecord): IdlessEffect | undefined {
  switch (record.kind) {
    case "initStart":
      return record.initializationType !== undefined
        ? { kind: "initStart", initializationType: record.initializationType }
        : { kind: "initStart" };
    case "initReport": {
      const e: IdlessEffect = { kind: "initReport" };
      if (record.phase !== undefined) e.phase = record.phase;
      if (record.status !== undefined) e.st = record.status;
      if (record.errorType !== undefined) e.et = record.errorType;
      if (record.initDurationMs !== undefined) e.initDurationMs = record.initDurationMs;
      return e;
    }
    case "app": {
      if (record.requestId !== undefined || !record.error) return undefined;
      const e: IdlessEffect = { kind: "error" };
      if (record.error.errorType !== undefined) e.et = record.error.errorType;
      if (record.error.errorMessage !== undefined) e.em = record.error.errorMessage;
      return e;
    }
    default:
      return undefined;
  }
}

export function encodeFact(f: Fact): string {
  return JSON.stringify(f);
}

export function decodeFact(s: string): Fact | undefined {
  try {
    const f = JSON.parse(s) as Fact;
    return typeof f.s === "string" && typeof f.t === "number" && typeof f.i === "string" && typeof f.b?.k === "string"
      ? f
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The facts that count: withdrawn claims and the withdrawals themselves removed. Two deliveries
 * that reach the same effective facts have reached the same state, whatever provisional claims
 * one of them made on the way.
 */
export function effectiveFacts(facts: Record<string, string>): Record<string, string> {
  const withdrawn = new Set(
    Object.keys(facts)
      .filter((k) => k.startsWith("d"))
      .map((k) => k.slice(1)),
  );
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(facts)) {
    if (key.startsWith("d") || (key.startsWith("c") && withdrawn.has(key.slice(1)))) continue;
    out[key] = value;
  }
  return out;
}
