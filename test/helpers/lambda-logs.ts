/**
 * Generates realistic CloudWatch log groups of a Lambda function, with the ground truth of each
 * request: several execution environments (streams), warm reuse, cold starts (with and without
 * Init Duration in JSON format), handler errors, timeouts and out-of-memory in old and new
 * styles, init failures, the aligner's job events, unprefixed child-process lines, and async
 * retries of the same request id in the same or another stream. Text and JSON formats.
 *
 * Used by the property tests (as fast-check arbitraries) and by the benchmark (seeded).
 */
import fc from "fast-check";
import type { LogEvent } from "../../core/logs/payload.ts";
import type { JobRecord } from "../../core/jobs-table.ts";

export type Outcome =
  | "success"
  | "rejected"
  | "handlerError"
  | "timeoutNew"
  | "timeoutOld"
  | "oomNew"
  | "oomOld"
  | "initFailure";
export type Format = "Text" | "JSON";

export interface AttemptSpec {
  outcome: Outcome;
  /** Index of the stream (environment) the attempt runs in; new streams are opened as needed. */
  stream: number;
  appLines: number;
  rawLines: number;
}

export interface RequestSpec {
  attempts: AttemptSpec[];
}

export interface GroupSpec {
  format: Format;
  /** JSON format: omit initDurationMs from cold REPORTs (cold start then shows only through INIT_START). */
  omitInitDuration: boolean;
  /**
   * How app lines are written: by `console.*` through the Node runtime (the default), or as the
   * aligner writes them — Powertools Logger JSON, MAFFT's stderr forwarded as `mafft: ...` lines.
   */
  appLineStyle?: "runtime" | "powertools";
  requests: RequestSpec[];
}

export interface GeneratedStream {
  name: string;
  events: LogEvent[];
}

export interface GeneratedGroup {
  logGroup: string;
  streams: GeneratedStream[];
  /** What a correct reader must conclude, per request. */
  truth: Map<string, Partial<JobRecord>>;
}

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Outcome>("success") },
  { weight: 1, arbitrary: fc.constant<Outcome>("rejected") },
  { weight: 1, arbitrary: fc.constant<Outcome>("handlerError") },
  { weight: 1, arbitrary: fc.constant<Outcome>("timeoutNew") },
  { weight: 1, arbitrary: fc.constant<Outcome>("timeoutOld") },
  { weight: 1, arbitrary: fc.constant<Outcome>("oomNew") },
  { weight: 1, arbitrary: fc.constant<Outcome>("oomOld") },
  { weight: 1, arbitrary: fc.constant<Outcome>("initFailure") },
);

const attemptArb = (streams: number) =>
  fc.record({
    outcome: outcomeArb,
    stream: fc.nat({ max: streams - 1 }),
    appLines: fc.nat({ max: 3 }),
    rawLines: fc.nat({ max: 3 }),
  });

/** Async retries happen only after a failure: every attempt but the last fails. */
const requestArb = (streams: number): fc.Arbitrary<RequestSpec> =>
  fc.array(attemptArb(streams), { minLength: 1, maxLength: 3 }).map((attempts) => ({
    attempts: attempts.map((a, i) =>
      i < attempts.length - 1 && (a.outcome === "success" || a.outcome === "rejected")
        ? { ...a, outcome: "handlerError" as const }
        : a,
    ),
  }));

export function groupSpecArb(opts: { maxRequests?: number; maxStreams?: number } = {}): fc.Arbitrary<GroupSpec> {
  return fc.integer({ min: 1, max: opts.maxStreams ?? 4 }).chain((streams) =>
    fc.record({
      format: fc.constantFrom<Format>("Text", "JSON"),
      omitInitDuration: fc.boolean(),
      requests: fc.array(requestArb(streams), { minLength: 1, maxLength: opts.maxRequests ?? 10 }),
    }),
  );
}

const MEMORY_MB = 1024;
const requestIdOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const EPOCH = Date.UTC(2026, 10, 24, 10, 0, 0);

interface Env {
  name: string;
  events: LogEvent[];
  clock: number;
  /** The next invocation initialises the environment first. */
  needsInit: boolean;
}

/** Deterministic: the same spec always yields the same events, ids and truth. */
export function generateGroup(spec: GroupSpec, logGroup = "/aws/lambda/lambda-aligner-aligner"): GeneratedGroup {
  const json = spec.format === "JSON";
  let nextId = 1;
  const eventId = () => String(nextId++).padStart(56, "0");
  const envs: Env[] = [];
  const truth = new Map<string, Partial<JobRecord>>();

  const env = (i: number): Env => {
    while (envs.length <= i) {
      const n = envs.length;
      envs.push({
        name: `2026/11/24/[$LATEST]${(0xa0000 + n).toString(16).padStart(32, "0")}`,
        events: [],
        clock: EPOCH + n * 7,
        needsInit: true,
      });
    }
    return envs[i]!;
  };
  const emit = (e: Env, message: string, advanceMs = 1) => {
    e.clock += advanceMs;
    e.events.push({ id: eventId(), timestamp: e.clock, message });
  };
  const iso = (e: Env) => new Date(e.clock).toISOString();

  // Attempts run in order of their scheduled time: retries come a minute or two after a failure.
  const schedule: { request: number; attempt: number; at: number; spec: AttemptSpec }[] = [];
  spec.requests.forEach((r, ri) => {
    r.attempts.forEach((a, ai) => {
      schedule.push({ request: ri, attempt: ai, at: ri * 5_000 + ai * 60_000 * (ai === 1 ? 1 : 1.5), spec: a });
    });
  });
  schedule.sort((x, y) => x.at - y.at || x.request - y.request);

  for (let ri = 0; ri < spec.requests.length; ri++) truth.set(requestIdOf(ri + 1), { attempts: 0 });
  /** A retry starts only after the previous attempt of the same request ended. */
  const previousEnd = new Map<string, number>();
  let seq = 0;
  for (const { request, at, spec: a } of schedule) {
    const id = requestIdOf(request + 1);
    const e = env(a.stream);
    e.clock = Math.max(e.clock + 1000, EPOCH + at, (previousEnd.get(id) ?? 0) + 60_000);
    const n = ++seq;
    const t = truth.get(id)!;
    t.attempts = (t.attempts ?? 0) + 1;
    // An init failure can only happen in an init: the environment (re)initialises for it.
    const cold = e.needsInit || a.outcome === "initFailure";
    const initMs = 100 + (n % 50) * 1.37;
    const durationMs = Math.round((200 + n * 3.71) * 100) / 100;
    const maxMem = 80 + (n % 40);

    if (cold) {
      emit(
        e,
        json
          ? `{"time":"${iso(e)}","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"nodejs:22.v37"}}`
          : "INIT_START Runtime Version: nodejs:22.v37\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0bdb3a9c",
      );
      e.needsInit = false;
    }
    const initError = "Runtime.ImportModuleError";
    const initErrorMessage = `Error: Cannot find module 'mafft-${n}'`;
    const idlessError = () =>
      json
        ? `{"timestamp":"${iso(e)}","level":"ERROR","message":{"errorType":"${initError}","errorMessage":"${initErrorMessage}","stackTrace":[]}}`
        : `${iso(e)}\tundefined\tERROR\tUncaught Exception \t{"errorType":"${initError}","errorMessage":"${initErrorMessage}","stack":[]}`;
    if (json && cold && a.outcome !== "initFailure") {
      emit(
        e,
        `{"time":"${iso(e)}","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"success","metrics":{"durationMs":${initMs}}}}`,
      );
    }
    if (a.outcome === "initFailure") {
      emit(e, idlessError());
      emit(
        e,
        json
          ? `{"time":"${iso(e)}","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"error","errorType":"${initError}","metrics":{"durationMs":${initMs}}}}`
          : `INIT_REPORT Init Duration: ${initMs} ms\tPhase: init\tStatus: error\tError Type: ${initError}`,
      );
    }

    const startTs = e.clock + 1;
    emit(
      e,
      json
        ? `{"time":"${new Date(startTs).toISOString()}","type":"platform.start","record":{"requestId":"${id}","version":"$LATEST"}}`
        : `START RequestId: ${id} Version: $LATEST`,
    );
    const jobLine = (fields: Record<string, unknown>) =>
      JSON.stringify({
        level: "INFO",
        message: `job ${String(fields["jobEvent"])}`,
        timestamp: iso(e),
        service: "aligner",
        cold_start: cold,
        function_request_id: id,
        ...fields,
      });
    const appLine = (msg: string) =>
      spec.appLineStyle === "powertools"
        ? JSON.stringify({
            level: "INFO",
            message: `mafft: ${msg}`,
            timestamp: iso(e),
            service: "aligner",
            cold_start: cold,
            function_request_id: id,
          })
        : json
          ? `{"timestamp":"${iso(e)}","level":"INFO","requestId":"${id}","message":"${msg}"}`
          : `${iso(e)}\t${id}\tINFO\t${msg}`;

    if (a.outcome === "initFailure") {
      // The init is retried inside the invoke (suppressed init), fails again; no handler runs.
      emit(e, idlessError());
      emit(
        e,
        json
          ? `{"time":"${iso(e)}","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"invoke","status":"error","errorType":"${initError}","metrics":{"durationMs":${initMs}}}}`
          : `INIT_REPORT Init Duration: ${initMs} ms\tPhase: invoke\tStatus: error\tError Type: ${initError}`,
      );
    } else {
      const inputKey = `inputs/job ${request + 1}.fasta`;
      if (a.outcome !== "rejected")
        emit(
          e,
          jobLine({
            jobEvent: "accepted",
            inputBucket: "in",
            inputKey,
            inputBytes: 1000 + n,
            sequences: 3 + (n % 5),
            mafftArgs: "--auto",
          }),
        );
      for (let i = 0; i < a.appLines; i++) emit(e, appLine(`step ${i} of request ${request + 1}`));
      for (let i = 0; i < a.rawLines; i++) emit(e, `progressive alignment ${i}/${a.rawLines} (raw stderr of mafft)`);
      if (a.outcome === "success")
        emit(
          e,
          jobLine({
            jobEvent: "succeeded",
            outputBucket: "out",
            outputKey: `alignments/job ${request + 1}.fasta`,
            mafftDurationMs: durationMs - 50,
          }),
        );
      if (a.outcome === "rejected")
        emit(
          e,
          jobLine({
            jobEvent: "failed",
            errorType: "InvalidInput",
            errorMessage: `${inputKey} holds 1 sequence; MAFFT needs at least 2`,
            inputBucket: "in",
            inputKey,
          }),
        );
      if (a.outcome === "handlerError")
        emit(
          e,
          json
            ? `{"timestamp":"${iso(e)}","level":"ERROR","requestId":"${id}","message":{"errorType":"Error","errorMessage":"S3 unavailable ${n}","stackTrace":["Error: S3 unavailable"]}}`
            : `${iso(e)}\t${id}\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"S3 unavailable ${n}","stack":["Error: S3 unavailable","    at handler (/var/task/index.mjs:1:1)"]}`,
        );
      if (a.outcome === "oomOld" && !json)
        emit(e, `RequestId: ${id} Error: Runtime exited with error: signal: killed\nRuntime.ExitError`);
    }

    const timeout = a.outcome === "timeoutNew" || a.outcome === "timeoutOld";
    const oom = a.outcome === "oomNew" || a.outcome === "oomOld";
    const failedPlatform = a.outcome === "handlerError" || a.outcome === "initFailure" || oom;
    const reportDuration = timeout ? 3000 : durationMs;
    const memUsed = oom ? MEMORY_MB : maxMem;
    // Init Duration appears on cold starts, except when the init failed and was retried in the invoke.
    const showInit = cold && a.outcome !== "initFailure" && !(json && spec.omitInitDuration);
    const billed = Math.ceil(reportDuration + (cold && a.outcome !== "initFailure" ? 0 : 0));
    let reportTs = 0;
    const errorTypeOf =
      a.outcome === "initFailure"
        ? initError
        : oom
          ? "Runtime.OutOfMemory"
          : a.outcome === "handlerError"
            ? "Error"
            : undefined;

    if (!json) {
      emit(e, `END RequestId: ${id}`, reportDuration);
      let report = `REPORT RequestId: ${id}\tDuration: ${reportDuration.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${MEMORY_MB} MB\tMax Memory Used: ${memUsed} MB\t`;
      if (showInit) report += `Init Duration: ${initMs.toFixed(2)} ms\t`;
      if (a.outcome === "timeoutNew") report += "Status: timeout";
      if (a.outcome === "oomNew") report += "Status: error\tError Type: Runtime.OutOfMemory";
      if (a.outcome === "initFailure") report += `Status: error\tError Type: ${initError}`;
      if (n % 3 === 0)
        report += "\nXRAY TraceId: 1-5e8c1f2a-3b4c5d6e7f8091a2b3c4d5e6\tSegmentId: 0a1b2c3d4e5f6789\tSampled: true";
      emit(e, report);
      reportTs = e.clock;
      if (a.outcome === "timeoutOld") emit(e, `${iso(e)} ${id} Task timed out after 3.00 seconds`);
    } else {
      const status = timeout ? "timeout" : failedPlatform ? "error" : "success";
      const errorTypeField = errorTypeOf && a.outcome !== "handlerError" ? `,"errorType":"${errorTypeOf}"` : "";
      emit(
        e,
        `{"time":"${iso(e)}","type":"platform.runtimeDone","record":{"requestId":"${id}","status":"${status}"${errorTypeField},"metrics":{"durationMs":${reportDuration},"producedBytes":0}}}`,
        reportDuration,
      );
      const metrics = [
        `"durationMs":${reportDuration}`,
        `"billedDurationMs":${billed}`,
        `"memorySizeMB":${MEMORY_MB}`,
        `"maxMemoryUsedMB":${memUsed}`,
      ];
      if (showInit) metrics.push(`"initDurationMs":${initMs}`);
      emit(
        e,
        `{"time":"${iso(e)}","type":"platform.report","record":{"requestId":"${id}","status":"${status}"${errorTypeField},"metrics":{${metrics.join(",")}}}}`,
      );
      reportTs = e.clock;
    }
    previousEnd.set(id, e.clock);
    // A timed-out or killed environment is reset: the next invoke in this stream initialises again.
    if (timeout || oom || a.outcome === "initFailure") e.needsInit = true;

    // The last attempt to start decides; attempts are scheduled in start order.
    const record: Partial<JobRecord> = {
      attempts: t.attempts,
      logStream: e.name,
      startedAt: new Date(startTs).toISOString(),
      endedAt: new Date(reportTs).toISOString(),
      coldStart: cold,
      durationMs: reportDuration,
      billedDurationMs: billed,
      memorySizeMb: MEMORY_MB,
      maxMemoryUsedMb: memUsed,
      status: timeout ? "TIMED_OUT" : failedPlatform || a.outcome === "rejected" ? "FAILED" : "SUCCEEDED",
    };
    if (!json && a.outcome === "oomOld") record.errorType = "Runtime.OutOfMemory";
    else if (errorTypeOf) record.errorType = errorTypeOf;
    if (a.outcome === "rejected") record.errorType = "InvalidInput";
    if (showInit) record.initDurationMs = json ? initMs : Number(initMs.toFixed(2));
    // JSON cold starts also report the init in platform.initReport, Init Duration or not.
    if (json && cold && a.outcome !== "initFailure") record.initDurationMs = initMs;
    if (a.outcome === "handlerError") record.errorMessage = `S3 unavailable ${n}`;
    if (a.outcome === "initFailure") {
      record.errorMessage = initErrorMessage;
      record.initDurationMs = initMs;
    }
    if (a.outcome === "success") record.outputKey = `alignments/job ${request + 1}.fasta`;
    truth.set(id, { ...record, attempts: t.attempts });
  }
  // Attempt counts are final only once all attempts ran.
  for (const [id, t] of truth) t.attempts = spec.requests[Number.parseInt(id.slice(-12), 16) - 1]!.attempts.length;
  return {
    logGroup,
    streams: envs.filter((s) => s.events.length > 0).map((s) => ({ name: s.name, events: s.events })),
    truth,
  };
}
