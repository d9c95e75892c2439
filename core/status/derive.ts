/**
 * A job record, derived from the set of facts known for one request id. A pure function of the
 * set (never of the order facts arrived in), which is what makes every write converge.
 *
 * Status model (ARCHITECTURE.md):
 * - Facts of one stream group into attempts: a START opens one, REPORT closes it; facts after a
 *   REPORT with no new START (the old "Task timed out" line) belong to the attempt just closed.
 *   Async retries reuse the request id, so one id can have several attempts, in several streams.
 * - The attempt that started last decides the status: RUNNING until its REPORT; then TIMED_OUT,
 *   FAILED (platform error, out of memory, a thrown error, or the aligner's own rejection of the
 *   job) or SUCCEEDED.
 * - Cold start: Init/Restore Duration in REPORT, or an INIT_START/INIT_REPORT of the stream
 *   attributed to the attempt.
 */
import type { JobRecord, JobStatus } from "../jobs-table.ts";
import type { JobEvent } from "../job-events.ts";
import type { Fact, FactBody, IdlessEffect } from "./facts.ts";
import { positionOf, type Position } from "./position.ts";

type Body<K extends FactBody["k"]> = Extract<FactBody, { k: K }>;

interface Attempt {
  stream: string;
  /** Position used to order attempts: START's, else the attempt's earliest fact. */
  order: Position;
  start?: Fact;
  report?: Fact & { b: Body<"report"> };
  facts: Fact[];
  claims: IdlessEffect[];
}

export interface DerivedJob {
  record: JobRecord;
  /** startedAt, or the earliest time seen when START is not known yet (index sort key). */
  sortTime: string;
  /** Latest event time among the facts (drives the TTL). */
  lastEventMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Orders facts of one stream: by position; at one position the event itself before claims anchored to it. */
function streamOrder(a: { pos: Position; rank: number }, b: { pos: Position; rank: number }): number {
  return a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : a.rank - b.rank;
}

function groupAttempts(facts: Iterable<[string, Fact]>): Attempt[] {
  const disowned = new Set<string>();
  const items: { key: string; fact: Fact }[] = [];
  for (const [key, fact] of facts) {
    if (fact.b.k === "disown") disowned.add(key.slice(1));
    else items.push({ key, fact });
  }
  const byStream = new Map<string, { pos: Position; rank: number; fact: Fact }[]>();
  for (const { key, fact } of items) {
    if (fact.b.k === "claim" && disowned.has(key.slice(1))) continue;
    const entry =
      fact.b.k === "claim" ? { pos: fact.b.a, rank: 1, fact } : { pos: positionOf(fact.t, fact.i), rank: 0, fact };
    let list = byStream.get(fact.s);
    if (!list) byStream.set(fact.s, (list = []));
    list.push(entry);
  }

  const attempts: Attempt[] = [];
  for (const [stream, list] of byStream) {
    list.sort(streamOrder);
    let open: Attempt | undefined;
    let lastClosed: Attempt | undefined;
    const begin = (first: { pos: Position; fact: Fact }): Attempt => {
      const a: Attempt = { stream, order: first.pos, facts: [], claims: [] };
      attempts.push(a);
      return a;
    };
    for (const entry of list) {
      const { fact } = entry;
      if (fact.b.k === "start") {
        open = begin(entry);
        open.start = fact;
        continue;
      }
      const target: Attempt = open ?? (fact.b.k !== "report" && lastClosed ? lastClosed : begin(entry));
      if (fact.b.k === "claim") target.claims.push(fact.b.what);
      else target.facts.push(fact);
      if (fact.b.k === "report") {
        target.report = fact as Fact & { b: Body<"report"> };
        lastClosed = target;
        open = undefined;
      } else if (target !== lastClosed) {
        open = target;
      }
    }
  }
  return attempts;
}

function bodies<K extends FactBody["k"]>(a: Attempt, k: K): Body<K>[] {
  return a.facts.filter((f) => f.b.k === k).map((f) => f.b as Body<K>);
}

function jobEvents(a: Attempt): JobEvent[] {
  return bodies(a, "job").map((b) => b.ev);
}

const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];

interface Outcome {
  status: JobStatus;
  errorType?: string;
  errorMessage?: string;
}

function outcomeOf(a: Attempt): Outcome {
  const report = a.report?.b;
  const timeoutLine = last(bodies(a, "timeout"));
  const done = last(bodies(a, "done"));
  const exit = last(bodies(a, "exit"));
  const errors = bodies(a, "error");
  const invocationError = last(errors.filter((e) => e.inv));
  const anyError = last(errors);
  const initError = last(
    a.claims.filter(
      (c): c is Exclude<IdlessEffect, { kind: "initStart" }> =>
        (c.kind === "initReport" && (c.st === "error" || c.st === "failure" || c.st === "timeout")) ||
        c.kind === "error",
    ),
  );
  const initErrorMessage = last(
    a.claims.filter((c): c is Extract<IdlessEffect, { kind: "error" }> => c.kind === "error"),
  )?.em;
  const jobFailure = last(
    jobEvents(a).filter((e): e is Extract<JobEvent, { jobEvent: "failed" }> => e.jobEvent === "failed"),
  );

  const timedOut = report?.st === "timeout" || done?.st === "timeout" || timeoutLine !== undefined;
  if (!report && !timedOut) return { status: "RUNNING" };
  if (timedOut) {
    const seconds = timeoutLine?.sec ?? (report?.durationMs !== undefined ? report.durationMs / 1000 : undefined);
    const o: Outcome = { status: "TIMED_OUT" };
    if (report?.et !== undefined) o.errorType = report.et;
    if (seconds !== undefined) o.errorMessage = `Task timed out after ${seconds.toFixed(2)} seconds`;
    return o;
  }
  const platformFailed =
    report?.st === "error" ||
    report?.st === "failure" ||
    done?.st === "error" ||
    done?.st === "failure" ||
    exit !== undefined ||
    invocationError !== undefined;
  if (platformFailed) {
    let errorType = report?.et ?? done?.et;
    if (errorType === undefined && exit) {
      const killedAtLimit =
        /signal: killed/.test(exit.msg) &&
        report?.maxMemoryUsedMb !== undefined &&
        report.memorySizeMb !== undefined &&
        report.maxMemoryUsedMb >= report.memorySizeMb;
      errorType = killedAtLimit ? "Runtime.OutOfMemory" : (exit.et ?? "Runtime.ExitError");
    }
    errorType ??= invocationError?.et ?? initError?.et ?? jobFailure?.errorType ?? anyError?.et;
    const errorMessage =
      invocationError?.em ?? exit?.msg ?? initErrorMessage ?? jobFailure?.errorMessage ?? anyError?.em;
    const o: Outcome = { status: "FAILED" };
    if (errorType !== undefined) o.errorType = errorType;
    if (errorMessage !== undefined) o.errorMessage = errorMessage;
    return o;
  }
  if (jobFailure) return { status: "FAILED", errorType: jobFailure.errorType, errorMessage: jobFailure.errorMessage };
  return { status: "SUCCEEDED" };
}

export function deriveJob(requestId: string, facts: Iterable<[string, Fact]>, logGroup?: string): DerivedJob {
  const entries = [...facts];
  const attempts = groupAttempts(entries);
  attempts.sort((x, y) => (x.order < y.order ? -1 : x.order > y.order ? 1 : 0));
  const decider = last(attempts);

  let firstMs = Number.POSITIVE_INFINITY;
  let lastMs = 0;
  for (const [, f] of entries) {
    firstMs = Math.min(firstMs, f.t);
    lastMs = Math.max(lastMs, f.t);
  }

  const record: JobRecord = { requestId, status: "RUNNING", attempts: attempts.length };
  if (logGroup !== undefined) record.logGroup = logGroup;
  if (decider) {
    const outcome = outcomeOf(decider);
    record.status = outcome.status;
    if (outcome.errorType !== undefined) record.errorType = outcome.errorType;
    if (outcome.errorMessage !== undefined) record.errorMessage = outcome.errorMessage;
    record.logStream = decider.stream;
    if (decider.start) record.startedAt = iso(decider.start.t);
    const report = decider.report?.b;
    if (decider.report) record.endedAt = iso(decider.report.t);
    else if (outcome.status === "TIMED_OUT") {
      const line = decider.facts.find((f) => f.b.k === "timeout");
      if (line) record.endedAt = iso(line.t);
    }
    if (report) {
      if (report.durationMs !== undefined) record.durationMs = report.durationMs;
      if (report.billedDurationMs !== undefined) record.billedDurationMs = report.billedDurationMs;
      if (report.memorySizeMb !== undefined) record.memorySizeMb = report.memorySizeMb;
      if (report.maxMemoryUsedMb !== undefined) record.maxMemoryUsedMb = report.maxMemoryUsedMb;
    }
    const initReport = last(
      decider.claims.filter((c): c is Extract<IdlessEffect, { kind: "initReport" }> => c.kind === "initReport"),
    );
    const initDurationMs = report?.initDurationMs ?? initReport?.initDurationMs;
    if (initDurationMs !== undefined) record.initDurationMs = initDurationMs;
    const coldEvidence =
      report?.initDurationMs !== undefined ||
      report?.restoreDurationMs !== undefined ||
      decider.claims.some((c) => c.kind === "initStart" || c.kind === "initReport");
    if (coldEvidence) record.coldStart = true;
    else if (decider.start || decider.report) record.coldStart = false;

    applyJobFields(record, attempts, decider);
  }
  return {
    record,
    sortTime: record.startedAt ?? (Number.isFinite(firstMs) ? iso(firstMs) : iso(0)),
    lastEventMs: lastMs,
  };
}

/** Input from the latest attempt that names it; output and MAFFT time from the deciding attempt. */
function applyJobFields(record: JobRecord, attempts: Attempt[], decider: Attempt): void {
  for (let i = attempts.length - 1; i >= 0; i--) {
    const input = last(
      jobEvents(attempts[i]!).filter(
        (e) => e.jobEvent === "accepted" || (e.jobEvent === "failed" && e.inputKey !== undefined),
      ),
    );
    if (!input) continue;
    if (input.jobEvent === "accepted") {
      record.inputBucket = input.inputBucket;
      record.inputKey = input.inputKey;
      record.inputBytes = input.inputBytes;
      record.sequences = input.sequences;
      record.mafftArgs = input.mafftArgs;
    } else if (input.jobEvent === "failed") {
      if (input.inputBucket !== undefined) record.inputBucket = input.inputBucket;
      if (input.inputKey !== undefined) record.inputKey = input.inputKey;
    }
    break;
  }
  const succeeded = last(jobEvents(decider).filter((e) => e.jobEvent === "succeeded"));
  if (succeeded && succeeded.jobEvent === "succeeded" && record.status === "SUCCEEDED") {
    record.outputBucket = succeeded.outputBucket;
    record.outputKey = succeeded.outputKey;
    record.mafftDurationMs = succeeded.mafftDurationMs;
  }
}
