import { describe, expect, it } from "vitest";
import { parseLogEvent } from "../../core/logs/parse.ts";

const ID = "8f5d2a1c-6b3e-4f7a-9c2d-1e0f3a4b5c6d";

describe("text format: platform lines", () => {
  it("INIT_START with runtime version", () => {
    expect(
      parseLogEvent(
        "INIT_START Runtime Version: nodejs:22.v37\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0bdb3a9c",
      ),
    ).toEqual({ kind: "initStart", runtimeVersion: "nodejs:22.v37" });
  });

  it("INIT_REPORT of a failed init, in the init and in the invoke phase", () => {
    expect(
      parseLogEvent(
        "INIT_REPORT Init Duration: 150.79 ms\tPhase: init\tStatus: error\tError Type: Runtime.UserCodeSyntaxError",
      ),
    ).toEqual({
      kind: "initReport",
      initDurationMs: 150.79,
      phase: "init",
      status: "error",
      errorType: "Runtime.UserCodeSyntaxError",
    });
    expect(parseLogEvent("INIT_REPORT Init Duration: 3002.51 ms\tPhase: invoke\tStatus: timeout")).toEqual({
      kind: "initReport",
      initDurationMs: 3002.51,
      phase: "invoke",
      status: "timeout",
    });
  });

  it("START with and without version, END", () => {
    expect(parseLogEvent(`START RequestId: ${ID} Version: $LATEST`)).toEqual({
      kind: "start",
      requestId: ID,
      version: "$LATEST",
    });
    expect(parseLogEvent(`START RequestId: ${ID}`)).toEqual({ kind: "start", requestId: ID });
    expect(parseLogEvent(`END RequestId: ${ID}`)).toEqual({ kind: "end", requestId: ID });
  });

  it("REPORT of a cold start, all fields, floats, trailing tab", () => {
    expect(
      parseLogEvent(
        `REPORT RequestId: ${ID}\tDuration: 1.76 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 48 MB\tInit Duration: 120.96 ms\t`,
      ),
    ).toEqual({
      kind: "report",
      requestId: ID,
      durationMs: 1.76,
      billedDurationMs: 2,
      memorySizeMb: 128,
      maxMemoryUsedMb: 48,
      initDurationMs: 120.96,
    });
  });

  it("REPORT of a warm start has no Init Duration; old 100 ms billing with a stray space", () => {
    const r = parseLogEvent(
      `REPORT RequestId: ${ID}\tDuration: 40.12 ms\tBilled Duration: 100 ms \tMemory Size: 1024 MB\tMax Memory Used: 80 MB\t`,
    );
    expect(r).toEqual({
      kind: "report",
      requestId: ID,
      durationMs: 40.12,
      billedDurationMs: 100,
      memorySizeMb: 1024,
      maxMemoryUsedMb: 80,
    });
  });

  it("REPORT with new-style timeout and out-of-memory status, in any field order", () => {
    expect(
      parseLogEvent(
        `REPORT RequestId: ${ID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout`,
      ),
    ).toMatchObject({
      status: "timeout",
      durationMs: 3000,
    });
    expect(
      parseLogEvent(
        `REPORT RequestId: ${ID}\tStatus: error\tError Type: Runtime.OutOfMemory\tDuration: 812.33 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tBilled Duration: 813 ms`,
      ),
    ).toEqual({
      kind: "report",
      requestId: ID,
      status: "error",
      errorType: "Runtime.OutOfMemory",
      durationMs: 812.33,
      billedDurationMs: 813,
      memorySizeMb: 128,
      maxMemoryUsedMb: 128,
    });
  });

  it("REPORT with SnapStart restore and an X-Ray line", () => {
    const r = parseLogEvent(
      `REPORT RequestId: ${ID}\tDuration: 5.1 ms\tBilled Duration: 6 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 231.7 ms\tBilled Restore Duration: 98 ms\t\nXRAY TraceId: 1-5e8c1f2a-3b4c5d6e7f8091a2b3c4d5e6\tSegmentId: 0a1b2c3d4e5f6789\tSampled: true`,
    );
    expect(r).toMatchObject({
      kind: "report",
      restoreDurationMs: 231.7,
      billedRestoreDurationMs: 98,
      maxMemoryUsedMb: 90,
    });
    expect(r).not.toHaveProperty("initDurationMs");
  });

  it("REPORT printed with spaces instead of tabs", () => {
    expect(
      parseLogEvent(
        `REPORT RequestId: ${ID} Duration: 2.5 ms Billed Duration: 3 ms Memory Size: 128 MB Max Memory Used: 50 MB Init Duration: 99 ms`,
      ),
    ).toEqual({
      kind: "report",
      requestId: ID,
      durationMs: 2.5,
      billedDurationMs: 3,
      memorySizeMb: 128,
      maxMemoryUsedMb: 50,
      initDurationMs: 99,
    });
  });

  it("old-style timeout line after REPORT", () => {
    expect(parseLogEvent(`2019-06-18T10:41:27.101Z ${ID} Task timed out after 3.00 seconds`)).toEqual({
      kind: "timeoutLine",
      requestId: ID,
      seconds: 3,
    });
    expect(parseLogEvent(`2019-06-18T10:41:27.101Z\t${ID}\tTask timed out after 900.10 seconds\n`)).toEqual({
      kind: "timeoutLine",
      requestId: ID,
      seconds: 900.1,
    });
  });

  it("old-style out-of-memory and exit lines", () => {
    expect(
      parseLogEvent(`RequestId: ${ID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError`),
    ).toEqual({
      kind: "runtimeExit",
      requestId: ID,
      message: "Runtime exited with error: signal: killed",
      errorType: "Runtime.ExitError",
    });
    expect(parseLogEvent(`RequestId: ${ID} Process exited before completing request`)).toEqual({
      kind: "runtimeExit",
      requestId: ID,
      message: "Process exited before completing request",
    });
  });

  it("other platform lines say nothing about status", () => {
    expect(parseLogEvent("EXTENSION\tName: datadog-agent\tState: Ready\tEvents: [INVOKE,SHUTDOWN]")).toEqual({
      kind: "platformOther",
      type: "EXTENSION",
    });
    expect(parseLogEvent("XRAY TraceId: 1-2-3\tSegmentId: 4\tSampled: true")).toEqual({
      kind: "platformOther",
      type: "XRAY",
    });
    expect(parseLogEvent("RESTORE_START Runtime Version: java:21.v20")).toEqual({
      kind: "initStart",
      initializationType: "snap-start",
    });
  });
});

describe("text format: application lines", () => {
  it("console.log with request id and level", () => {
    expect(parseLogEvent(`2026-11-24T10:00:00.123Z\t${ID}\tINFO\taligning 36 sequences`)).toEqual({
      kind: "app",
      requestId: ID,
      level: "INFO",
      message: "aligning 36 sequences",
    });
  });

  it("Invoke Error with its JSON error", () => {
    const r = parseLogEvent(
      `2026-11-24T10:00:01.000Z\t${ID}\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"S3 is down","stack":["Error: S3 is down","    at handler (/var/task/index.mjs:1:1)"]}`,
    );
    expect(r).toEqual({
      kind: "app",
      requestId: ID,
      level: "ERROR",
      message: expect.stringContaining("Invoke Error"),
      error: { errorType: "Error", errorMessage: "S3 is down" },
      invocationError: true,
    });
  });

  it("an undefined request id (before the first invoke) is no request id", () => {
    const r = parseLogEvent(
      `2026-11-24T09:59:59.000Z\tundefined\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module 'index'"}`,
    );
    expect(r).toMatchObject({
      kind: "app",
      level: "ERROR",
      invocationError: true,
      error: { errorType: "Runtime.ImportModuleError" },
    });
    expect(r).not.toHaveProperty("requestId");
  });

  it("a plain console.error is an error line but not an invocation failure", () => {
    const r = parseLogEvent(`2026-11-24T10:00:00.500Z\t${ID}\tERROR\tcould not reach cache, continuing`);
    expect(r).toEqual({ kind: "app", requestId: ID, level: "ERROR", message: "could not reach cache, continuing" });
  });

  it("a message mentioning RequestId creates no request", () => {
    expect(
      parseLogEvent(
        `2026-11-24T10:00:00.500Z\t${ID}\tINFO\tSTART RequestId: 11111111-2222-3333-4444-555555555555 Version: 1`,
      ),
    ).toMatchObject({
      kind: "app",
      requestId: ID,
    });
    expect(parseLogEvent("see START RequestId: 11111111-2222-3333-4444-555555555555 in the docs")).toEqual({
      kind: "text",
      text: "see START RequestId: 11111111-2222-3333-4444-555555555555 in the docs",
    });
    expect(parseLogEvent("START RequestId: not-a-uuid Version: $LATEST")).toMatchObject({ kind: "text" });
    expect(parseLogEvent("REPORT RequestId: yes\tDuration: 1 ms")).toMatchObject({ kind: "text" });
  });

  it("lines printed with spaces instead of tabs", () => {
    expect(parseLogEvent(`2026-11-24T10:00:00.123Z ${ID} WARN slow disk`)).toEqual({
      kind: "app",
      requestId: ID,
      level: "WARN",
      message: "slow disk",
    });
  });

  it("plain unprefixed text (a child process on stderr)", () => {
    expect(parseLogEvent("nthread = 0\nprogressive alignment 1/2...")).toEqual({
      kind: "text",
      text: "nthread = 0\nprogressive alignment 1/2...",
    });
    expect(parseLogEvent("")).toEqual({ kind: "text", text: "" });
    expect(parseLogEvent("2026 was a good year")).toEqual({ kind: "text", text: "2026 was a good year" });
  });
});

describe("JSON format", () => {
  it("platform.initStart, start, runtimeDone, report with floats and missing metrics", () => {
    expect(
      parseLogEvent(
        '{"time":"2026-11-24T10:00:00.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"nodejs:22.v37"}}',
      ),
    ).toEqual({ kind: "initStart", runtimeVersion: "nodejs:22.v37", initializationType: "on-demand" });
    expect(
      parseLogEvent(
        `{"time":"2026-11-24T10:00:00.2Z","type":"platform.start","record":{"requestId":"${ID}","version":"$LATEST"}}`,
      ),
    ).toEqual({
      kind: "start",
      requestId: ID,
      version: "$LATEST",
    });
    expect(
      parseLogEvent(
        `{"time":"t","type":"platform.runtimeDone","record":{"requestId":"${ID}","status":"failure","errorType":"Error","metrics":{"durationMs":1.056,"producedBytes":50}}}`,
      ),
    ).toEqual({ kind: "runtimeDone", requestId: ID, status: "failure", errorType: "Error", durationMs: 1.056 });
    expect(
      parseLogEvent(
        `{"time":"t","type":"platform.report","record":{"requestId":"${ID}","status":"success","metrics":{"durationMs":1.317,"billedDurationMs":2,"memorySizeMB":1024,"maxMemoryUsedMB":68,"initDurationMs":145.6}}}`,
      ),
    ).toEqual({
      kind: "report",
      requestId: ID,
      status: "success",
      durationMs: 1.317,
      billedDurationMs: 2,
      memorySizeMb: 1024,
      maxMemoryUsedMb: 68,
      initDurationMs: 145.6,
    });
    expect(
      parseLogEvent(`{"time":"t","type":"platform.report","record":{"requestId":"${ID}","status":"timeout"}}`),
    ).toEqual({
      kind: "report",
      requestId: ID,
      status: "timeout",
    });
  });

  it("platform.initReport and other platform records", () => {
    expect(
      parseLogEvent(
        '{"time":"t","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"error","errorType":"Runtime.ImportModuleError","metrics":{"durationMs":88.2}}}',
      ),
    ).toEqual({
      kind: "initReport",
      phase: "init",
      status: "error",
      errorType: "Runtime.ImportModuleError",
      initDurationMs: 88.2,
    });
    expect(
      parseLogEvent('{"time":"t","type":"platform.logsDropped","record":{"reason":"x","droppedRecords":3}}'),
    ).toEqual({ kind: "platformOther", type: "platform.logsDropped" });
  });

  it("app lines of the Node runtime, with and without an error", () => {
    expect(
      parseLogEvent(`{"timestamp":"2026-11-24T10:00:00.000Z","level":"INFO","requestId":"${ID}","message":"hello"}`),
    ).toMatchObject({
      kind: "app",
      requestId: ID,
      level: "INFO",
    });
    expect(
      parseLogEvent(
        `{"timestamp":"t","level":"ERROR","requestId":"${ID}","message":{"errorType":"TypeError","errorMessage":"x is not a function","stackTrace":["TypeError: x"]}}`,
      ),
    ).toMatchObject({
      kind: "app",
      requestId: ID,
      level: "ERROR",
      error: { errorType: "TypeError", errorMessage: "x is not a function" },
    });
    expect(
      parseLogEvent(
        `{"timestamp":"t","level":"ERROR","message":{"errorType":"Runtime.ImportModuleError","errorMessage":"Cannot find module"}}`,
      ),
    ).toEqual({
      kind: "app",
      level: "ERROR",
      message: expect.any(String),
      error: { errorType: "Runtime.ImportModuleError", errorMessage: "Cannot find module" },
    });
  });

  it("Powertools lines carry function_request_id", () => {
    expect(
      parseLogEvent(
        `{"level":"INFO","message":"mafft","timestamp":"t","service":"aligner","cold_start":true,"function_name":"f","function_request_id":"${ID}","line":"nthread = 0"}`,
      ),
    ).toMatchObject({ kind: "app", requestId: ID, level: "INFO" });
  });

  it("aligner job events", () => {
    const line = JSON.stringify({
      level: "INFO",
      message: "job failed",
      timestamp: "t",
      service: "aligner",
      function_request_id: ID,
      jobEvent: "failed",
      errorType: "InvalidInput",
      errorMessage: "inputs/x.fasta holds 1 sequence; MAFFT needs at least 2",
      inputBucket: "in",
      inputKey: "inputs/x.fasta",
    });
    expect(parseLogEvent(line)).toEqual({
      kind: "job",
      requestId: ID,
      event: {
        jobEvent: "failed",
        errorType: "InvalidInput",
        errorMessage: "inputs/x.fasta holds 1 sequence; MAFFT needs at least 2",
        inputBucket: "in",
        inputKey: "inputs/x.fasta",
      },
    });
  });

  it("broken or foreign JSON falls back to text or an id-less app line", () => {
    expect(parseLogEvent('{"level":"INFO","message":"cut off')).toMatchObject({ kind: "text" });
    expect(parseLogEvent("{not json at all}")).toEqual({ kind: "text", text: "{not json at all}" });
    expect(parseLogEvent('{"requestId":"undefined","level":"ERROR","errorType":"E","errorMessage":"m"}')).toEqual({
      kind: "app",
      level: "ERROR",
      message: expect.any(String),
      error: { errorType: "E", errorMessage: "m" },
    });
  });
});
