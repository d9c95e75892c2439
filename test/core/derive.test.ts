/** Literal log excerpts for cases the generator does not produce, read through the offline path. */
import { describe, expect, it } from "vitest";
import { OfflineStatus } from "../../core/status/offline.ts";
import type { JobRecord } from "../../core/jobs-table.ts";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";

const A = "aaaaaaaa-0000-4000-8000-000000000001";

let nextId = 1;
function stream(name: string, lines: string[], startMs = 1_795_514_400_000): SubscriptionMessage {
  return {
    messageType: "DATA_MESSAGE",
    owner: "",
    logGroup: "/aws/lambda/f",
    logStream: name,
    subscriptionFilters: [],
    logEvents: lines.map((message, i) => ({
      id: String(nextId++).padStart(56, "0"),
      timestamp: startMs + i * 10,
      message,
    })),
  };
}

async function records(...payloads: SubscriptionMessage[]): Promise<Map<string, JobRecord>> {
  const offline = new OfflineStatus();
  await offline.apply(payloads);
  return new Map(offline.records().map((r) => [r.requestId, r]));
}

describe("derived status, literal cases", () => {
  it("REPORT alone (managed instances print no START/END) is a finished, warm attempt", async () => {
    const r = (
      await records(
        stream("s", [
          `REPORT RequestId: ${A}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB`,
        ]),
      )
    ).get(A);
    expect(r).toMatchObject({ status: "SUCCEEDED", attempts: 1, coldStart: false, durationMs: 5 });
    expect(r?.startedAt).toBeUndefined();
  });

  it("a REPORT delivered before its START joins the same attempt", async () => {
    const whole = stream("s", [
      "INIT_START Runtime Version: nodejs:22.v37",
      `START RequestId: ${A} Version: $LATEST`,
      `END RequestId: ${A}`,
      `REPORT RequestId: ${A}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 80.00 ms`,
    ]);
    const late = { ...whole, logEvents: whole.logEvents.slice(2) };
    const early = { ...whole, logEvents: whole.logEvents.slice(0, 2) };
    expect((await records(late)).get(A)).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    expect((await records(late, early)).get(A)).toMatchObject({
      status: "SUCCEEDED",
      attempts: 1,
      coldStart: true,
      initDurationMs: 80,
      startedAt: expect.any(String),
    });
  });

  it("a thrown error waits for REPORT before the request counts as failed", async () => {
    const s = stream("s", [
      `START RequestId: ${A} Version: $LATEST`,
      `2026-11-24T10:00:00.000Z\t${A}\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"x is undefined"}`,
    ]);
    expect((await records(s)).get(A)).toMatchObject({ status: "RUNNING" });
    const more = stream(
      "s",
      [
        `END RequestId: ${A}`,
        `REPORT RequestId: ${A}\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB`,
      ],
      1_795_514_401_000,
    );
    expect((await records(s, more)).get(A)).toMatchObject({
      status: "FAILED",
      errorType: "TypeError",
      errorMessage: "x is undefined",
    });
  });

  it("an old-style exit below the memory limit is Runtime.ExitError, not out of memory", async () => {
    const s = stream("s", [
      `START RequestId: ${A} Version: $LATEST`,
      `RequestId: ${A} Error: Runtime exited with error: exit status 1\nRuntime.ExitError`,
      `END RequestId: ${A}`,
      `REPORT RequestId: ${A}\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB`,
    ]);
    expect((await records(s)).get(A)).toMatchObject({
      status: "FAILED",
      errorType: "Runtime.ExitError",
      errorMessage: "Runtime exited with error: exit status 1",
    });
  });

  it("a SnapStart restore counts as a cold start", async () => {
    const s = stream("s", [
      "RESTORE_START Runtime Version: java:21.v20",
      `START RequestId: ${A} Version: 3`,
      `END RequestId: ${A}`,
      `REPORT RequestId: ${A}\tDuration: 20.00 ms\tBilled Duration: 120 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\tRestore Duration: 231.70 ms\tBilled Restore Duration: 98 ms`,
    ]);
    expect((await records(s)).get(A)).toMatchObject({ status: "SUCCEEDED", coldStart: true });
  });

  it("a success after the aligner rejected the job is still the job's failure; a later successful retry clears it", async () => {
    const rejected = stream("s1", [
      `START RequestId: ${A} Version: $LATEST`,
      JSON.stringify({
        level: "INFO",
        message: "job failed",
        function_request_id: A,
        jobEvent: "failed",
        errorType: "InvalidInput",
        errorMessage: "no sequences",
      }),
      `END RequestId: ${A}`,
      `REPORT RequestId: ${A}\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB`,
    ]);
    expect((await records(rejected)).get(A)).toMatchObject({
      status: "FAILED",
      errorType: "InvalidInput",
      errorMessage: "no sequences",
    });
    const retried = stream(
      "s2",
      [
        `START RequestId: ${A} Version: $LATEST`,
        `END RequestId: ${A}`,
        `REPORT RequestId: ${A}\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB`,
      ],
      1_795_514_500_000,
    );
    const r = (await records(retried, rejected)).get(A);
    expect(r).toMatchObject({ status: "SUCCEEDED", attempts: 2, logStream: "s2" });
    expect(r?.errorType).toBeUndefined();
  });
});
