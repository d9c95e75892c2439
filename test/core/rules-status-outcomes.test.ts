/**
 * Rules of a request's outcome, read from literal log lines through the log processor's own path
 * (OfflineStatus: parse → reduce → apply → derive). The line shapes are Lambda's, as AWS documents
 * them and log forwarders' fixtures show them (shared reference: lambda-logs.md). Each test holds
 * a rule a mutation test found no test holding (issue 19).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JobRecord } from "../../core/jobs-table.ts";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { OfflineStatus } from "../../core/status/offline.ts";

const A = "3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b";
const T0 = Date.parse("2026-11-24T10:00:00.000Z");

let nextId = 1;
function stream(lines: string[], name = "2026/11/24/[$LATEST]af2b1e1843b84a2d80c67840ae3ffa72"): SubscriptionMessage {
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/aws/lambda/lambda-aligner-aligner",
    logStream: name,
    subscriptionFilters: ["lambda-aligner-status"],
    logEvents: lines.map((message, i) => ({
      id: String(nextId++).padStart(56, "0"),
      timestamp: T0 + i * 10,
      message,
    })),
  };
}

async function recordOf(lines: string[]): Promise<JobRecord> {
  const offline = new OfflineStatus();
  await offline.apply([stream(lines)]);
  const r = offline.records().find((x) => x.requestId === A);
  if (!r) throw new Error("no record");
  return r;
}

const START = `START RequestId: ${A} Version: $LATEST`;
const END = `END RequestId: ${A}`;
const report = (extra = "", memory = "Memory Size: 128 MB\tMax Memory Used: 48 MB") =>
  `REPORT RequestId: ${A}\tDuration: 1.76 ms\tBilled Duration: 2 ms\t${memory}\t${extra}`;

describe("handled errors", () => {
  it("an error logged by a run that then succeeds leaves it SUCCEEDED: only the runtime's own failure lines fail an invocation", async () => {
    const handled = [
      // Powertools Logger's logger.error("...", err): the error as {name, location, message, stack}.
      JSON.stringify({
        level: "ERROR",
        message: "retrying the upload",
        timestamp: "2026-11-24T10:00:00.005Z",
        service: "aligner",
        function_request_id: A,
        error: { name: "TimeoutError", location: "file:///var/task/index.mjs:3:11", message: "socket hang up" },
      }),
      // The Node runtime's JSON format for console.error(err).
      JSON.stringify({
        timestamp: "2026-11-24T10:00:00.006Z",
        level: "ERROR",
        requestId: A,
        message: { errorType: "Error", errorMessage: "first try failed", stackTrace: ["Error: first try failed"] },
      }),
      // The text format's console.error with an error object appended.
      `2026-11-24T10:00:00.007Z\t${A}\tERROR\tfirst try failed\t{"errorType":"Error","errorMessage":"first try failed"}`,
    ];
    for (const line of handled) {
      const r = await recordOf([START, line, END, report()]);
      expect(r.status, line).toBe("SUCCEEDED");
      expect(r.errorType, line).toBeUndefined();
    }
  });

  it("the runtime's Invoke Error fails the invocation with the thrown error's type and message", async () => {
    const r = await recordOf([
      START,
      `2026-11-24T10:00:00.005Z\t${A}\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"x is undefined","stack":["TypeError: x is undefined"]}`,
      END,
      report(),
    ]);
    expect(r).toMatchObject({ status: "FAILED", errorType: "TypeError", errorMessage: "x is undefined" });
  });
});

describe("errors the function logged, when the platform names none", () => {
  const powertools = (level: string, error: Record<string, string>) =>
    JSON.stringify({
      level,
      message: "alignment failed",
      timestamp: "2026-11-24T10:00:00.005Z",
      service: "aligner",
      cold_start: false,
      function_request_id: A,
      error: { location: "file:///var/task/index.mjs:3:11", stack: "Error: ...", ...error },
    });

  it("a failed invoke takes its error type and message from a logged error, in Powertools' {name, message} shape too", async () => {
    for (const level of ["ERROR", "FATAL", "error", "fatal"]) {
      const r = await recordOf([
        START,
        powertools(level, { name: "MafftCrashed", message: "mafft exited with 1" }),
        END,
        report("Status: error"),
      ]);
      expect(r, level).toMatchObject({
        status: "FAILED",
        errorType: "MafftCrashed",
        errorMessage: "mafft exited with 1",
      });
    }
  });

  it("FATAL lines of the text format are read for errors as ERROR lines are", async () => {
    for (const level of ["ERROR", "FATAL"]) {
      const r = await recordOf([
        START,
        `2026-11-24T10:00:00.005Z\t${A}\t${level}\tgiving up\t{"errorType":"StorageError","errorMessage":"bucket gone"}`,
        END,
        report("Status: error"),
      ]);
      expect(r, level).toMatchObject({ status: "FAILED", errorType: "StorageError", errorMessage: "bucket gone" });
    }
  });

  it("lines below ERROR are never read as errors", async () => {
    for (const level of ["INFO", "WARN", "DEBUG"]) {
      const r = await recordOf([
        START,
        powertools(level, { name: "NotAnError", message: "just a note" }),
        `2026-11-24T10:00:00.006Z\t${A}\t${level}\tnote\t{"errorType":"AlsoNot","errorMessage":"a note"}`,
        END,
        report("Status: error"),
      ]);
      expect(r.status, level).toBe("FAILED");
      expect(r.errorType, level).toBeUndefined();
    }
  });
});

describe("runtime exits and out of memory", () => {
  const exitLine = (reason: string) => `RequestId: ${A} Error: Runtime exited with error: ${reason}\nRuntime.ExitError`;

  it("killed at the memory limit is Runtime.OutOfMemory; any other exit keeps its own error type, whatever the memory", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "signal: killed",
          "exit status 1",
          "exit status 137",
          "signal: segmentation fault",
          "signal: aborted",
        ),
        fc.constantFrom(128, 512, 2048),
        fc.integer({ min: -64, max: 0 }),
        async (reason, size, under) => {
          const used = size + under;
          const r = await recordOf([
            START,
            exitLine(reason),
            END,
            report("", `Memory Size: ${size} MB\tMax Memory Used: ${used} MB`),
          ]);
          const oom = reason === "signal: killed" && used >= size;
          expect(r.status).toBe("FAILED");
          expect(r.errorType).toBe(oom ? "Runtime.OutOfMemory" : "Runtime.ExitError");
          expect(r.errorMessage).toBe(`Runtime exited with error: ${reason}`);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("an exit line without a type line is Runtime.ExitError; one with its own type keeps it", async () => {
    expect(
      await recordOf([START, `RequestId: ${A} Error: Runtime exited with error: exit status 2`, END, report()]),
    ).toMatchObject({ status: "FAILED", errorType: "Runtime.ExitError" });
    expect(
      await recordOf([
        START,
        `RequestId: ${A} Error: Runtime exited without providing a reason\nRuntime.ExitError`,
        END,
        report(),
      ]),
    ).toMatchObject({ status: "FAILED", errorType: "Runtime.ExitError" });
  });

  it("a killed run whose REPORT gives no memory figures is not called out of memory", async () => {
    const r = await recordOf([START, exitLine("signal: killed"), END, `REPORT RequestId: ${A}\tDuration: 1.76 ms`]);
    expect(r.errorType).toBe("Runtime.ExitError");
  });

  it("the new style names out of memory in REPORT itself", async () => {
    const r = await recordOf([
      START,
      END,
      report("Status: error\tError Type: Runtime.OutOfMemory", "Memory Size: 128 MB\tMax Memory Used: 128 MB"),
    ]);
    expect(r).toMatchObject({ status: "FAILED", errorType: "Runtime.OutOfMemory" });
  });
});

describe("timeouts", () => {
  it("the old style (a line after REPORT) says how long the task ran, and ends the request there", async () => {
    const lines = [
      START,
      END,
      `REPORT RequestId: ${A}\tDuration: 3003.52 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB`,
      `2026-11-24T10:00:03.052Z ${A} Task timed out after 3.00 seconds`,
    ];
    const r = await recordOf(lines);
    expect(r).toMatchObject({ status: "TIMED_OUT", errorMessage: "Task timed out after 3.00 seconds" });
  });

  it("the new style (Status: timeout in REPORT) says how long the task ran, from the REPORT's Duration", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 900 }), async (seconds) => {
        const r = await recordOf([
          START,
          END,
          `REPORT RequestId: ${A}\tDuration: ${seconds * 1000}.00 ms\tBilled Duration: ${seconds * 1000} ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout`,
        ]);
        expect(r).toMatchObject({
          status: "TIMED_OUT",
          errorMessage: `Task timed out after ${seconds.toFixed(2)} seconds`,
          durationMs: seconds * 1000,
        });
      }),
      { numRuns: 20 },
    );
  });

  it("a timeout line with no REPORT still times the request out, and ends it at that line", async () => {
    const r = await recordOf([START, `2026-11-24T10:00:03.052Z ${A} Task timed out after 3.00 seconds`]);
    expect(r).toMatchObject({ status: "TIMED_OUT", errorMessage: "Task timed out after 3.00 seconds" });
    expect(r.endedAt).toBe(new Date(T0 + 10).toISOString());
  });

  it("the JSON format's runtimeDone timeout times the request out with the REPORT's error type", async () => {
    const r = await recordOf([
      JSON.stringify({
        time: "2026-11-24T10:00:00.000Z",
        type: "platform.start",
        record: { requestId: A, version: "$LATEST" },
      }),
      JSON.stringify({
        time: "2026-11-24T10:00:03.000Z",
        type: "platform.runtimeDone",
        record: { requestId: A, status: "timeout", metrics: { durationMs: 3000.1 } },
      }),
      JSON.stringify({
        time: "2026-11-24T10:00:03.010Z",
        type: "platform.report",
        record: {
          requestId: A,
          status: "timeout",
          errorType: "Sandbox.Timedout",
          metrics: { durationMs: 3000.5, billedDurationMs: 3000, memorySizeMB: 128, maxMemoryUsedMB: 60 },
        },
      }),
    ]);
    expect(r).toMatchObject({
      status: "TIMED_OUT",
      errorType: "Sandbox.Timedout",
      errorMessage: "Task timed out after 3.00 seconds",
    });
  });
});

describe("init failures", () => {
  it("an init that failed in the invoke phase gives the failed invoke its error type", async () => {
    for (const status of ["error", "timeout"]) {
      const r = await recordOf([
        `INIT_REPORT Init Duration: 150.79 ms\tPhase: invoke\tStatus: ${status}\tError Type: Runtime.UserCodeSyntaxError`,
        START,
        `RequestId: ${A} Error: Unknown application error occurred\nRuntime.Unknown`,
        END,
        report("Status: error"),
      ]);
      expect(r, status).toMatchObject({ status: "FAILED", coldStart: true });
      expect(r.errorType, status).toBe("Runtime.Unknown");
    }
    // Without the platform's own line in the invoke, the init's error type is all there is.
    for (const order of ["before START", "after START"]) {
      const init =
        "INIT_REPORT Init Duration: 150.79 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.UserCodeSyntaxError";
      const lines =
        order === "before START"
          ? [init, START, END, report("Status: error")]
          : [START, init, END, report("Status: error")];
      expect(await recordOf(lines), order).toMatchObject({
        status: "FAILED",
        errorType: "Runtime.UserCodeSyntaxError",
        coldStart: true,
      });
    }
  });

  it("an init error logged without a request id (before the first invoke) gives its type and message to the invoke it belongs to", async () => {
    const r = await recordOf([
      "INIT_START Runtime Version: nodejs:22.v37\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0123abcd",
      `2026-11-24T10:00:00.001Z\tundefined\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find module 'x'"}`,
      START,
      END,
      report("Status: error"),
    ]);
    expect(r).toMatchObject({
      status: "FAILED",
      coldStart: true,
      errorType: "Runtime.ImportModuleError",
      errorMessage: "Cannot find module 'x'",
    });
  });

  it("the JSON format's initReport failure names the invoke's error when REPORT does not", async () => {
    const r = await recordOf([
      JSON.stringify({
        time: "2026-11-24T10:00:00.000Z",
        type: "platform.initReport",
        record: {
          initializationType: "on-demand",
          phase: "invoke",
          status: "error",
          errorType: "Runtime.BadFunctionCode",
          metrics: { durationMs: 80.2 },
        },
      }),
      JSON.stringify({ time: "2026-11-24T10:00:00.100Z", type: "platform.start", record: { requestId: A } }),
      JSON.stringify({
        time: "2026-11-24T10:00:00.200Z",
        type: "platform.report",
        record: {
          requestId: A,
          status: "failure",
          metrics: { durationMs: 100, billedDurationMs: 100, memorySizeMB: 128, maxMemoryUsedMB: 60 },
        },
      }),
    ]);
    expect(r).toMatchObject({
      status: "FAILED",
      errorType: "Runtime.BadFunctionCode",
      coldStart: true,
      initDurationMs: 80.2,
    });
  });
});

describe("REPORT lines as tools print them", () => {
  it("a REPORT whose tabs became spaces still gives its Status and Error Type", async () => {
    const spaced = (extra: string) =>
      `REPORT RequestId: ${A} Duration: 3000.00 ms Billed Duration: 3000 ms Memory Size: 128 MB Max Memory Used: 128 MB ${extra}`;
    expect(await recordOf([START, END, spaced("Status: timeout")])).toMatchObject({
      status: "TIMED_OUT",
      errorMessage: "Task timed out after 3.00 seconds",
    });
    expect(await recordOf([START, END, spaced("Status: error Error Type: Runtime.OutOfMemory")])).toMatchObject({
      status: "FAILED",
      errorType: "Runtime.OutOfMemory",
      maxMemoryUsedMb: 128,
    });
  });
});

describe("SnapStart", () => {
  it("a REPORT with Restore Duration is a cold start by itself, even when the RESTORE_START line is elsewhere", async () => {
    const r = await recordOf([
      START,
      END,
      report(
        "Restore Duration: 231.70 ms\tBilled Restore Duration: 98 ms",
        "Memory Size: 512 MB\tMax Memory Used: 90 MB",
      ),
    ]);
    expect(r).toMatchObject({ status: "SUCCEEDED", coldStart: true });
    expect(r.initDurationMs).toBeUndefined();
  });

  it("RESTORE_START is an environment's start: the request after it is a cold start; RESTORE_REPORT names no request", async () => {
    const r = await recordOf([
      "RESTORE_START Runtime Version: java:21.v20\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0123abcd",
      "RESTORE_REPORT Restore Duration: 231.70 ms",
      START,
      END,
      report("", "Memory Size: 512 MB\tMax Memory Used: 90 MB"),
    ]);
    expect(r).toMatchObject({ status: "SUCCEEDED", coldStart: true, attempts: 1 });
  });

  it("the same holds for a REPORT printed with spaces, and for the JSON format's restoreStart and restoreDurationMs", async () => {
    expect(
      await recordOf([
        START,
        END,
        `REPORT RequestId: ${A} Duration: 20.00 ms Billed Duration: 120 ms Memory Size: 512 MB Max Memory Used: 90 MB Restore Duration: 231.70 ms Billed Restore Duration: 98 ms`,
      ]),
    ).toMatchObject({ status: "SUCCEEDED", coldStart: true });
    const start = JSON.stringify({
      time: "2026-11-24T10:00:00.100Z",
      type: "platform.start",
      record: { requestId: A },
    });
    const jsonReport = (metrics: Record<string, number>) =>
      JSON.stringify({
        time: "2026-11-24T10:00:00.200Z",
        type: "platform.report",
        record: {
          requestId: A,
          status: "success",
          metrics: { durationMs: 20, billedDurationMs: 120, memorySizeMB: 512, maxMemoryUsedMB: 90, ...metrics },
        },
      });
    expect(
      await recordOf([
        JSON.stringify({
          time: "2026-11-24T10:00:00.000Z",
          type: "platform.restoreStart",
          record: { runtimeVersion: "java:21.v20" },
        }),
        start,
        jsonReport({}),
      ]),
    ).toMatchObject({ status: "SUCCEEDED", coldStart: true });
    expect(
      await recordOf([start, jsonReport({ restoreDurationMs: 231.7, billedRestoreDurationMs: 98 })]),
    ).toMatchObject({
      status: "SUCCEEDED",
      coldStart: true,
    });
    expect(await recordOf([start, jsonReport({})])).toMatchObject({ status: "SUCCEEDED", coldStart: false });
  });

  it("a warm invoke (no init, no restore) is not a cold start", async () => {
    expect(await recordOf([START, END, report()])).toMatchObject({ status: "SUCCEEDED", coldStart: false });
  });
});
