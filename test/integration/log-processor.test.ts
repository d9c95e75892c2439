/**
 * The log-processor Lambda as deployed: the esbuild bundle, invoked with CloudWatch Logs
 * subscription events, writing to dynalite through the SDK's standard endpoint variable.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { bundleFunction } from "../../infra/bundle.ts";
import { encodeAwslogsData, type SubscriptionMessage } from "../../core/logs/payload.ts";
import { recordFromItem } from "../../aws/dynamo/status-store.ts";
import { generateGroup } from "../helpers/lambda-logs.ts";
import { payload } from "../helpers/delivery.ts";
import { isJobItem, startDynalite, type LocalDynamo } from "../helpers/dynalite.ts";
import type { ProcessorResult } from "../../functions/log-processor/handler.ts";

type Handler = (event: unknown, context: Context) => Promise<ProcessorResult>;

let db: LocalDynamo;
let handler: Handler;
const TABLE = "processor-jobs";
const savedEnv = { ...process.env };

function context(): Context {
  return {
    awsRequestId: randomUUID(),
    functionName: "lambda-aligner-log-processor",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-aligner-log-processor",
    memoryLimitInMB: "512",
    logGroupName: "/aws/lambda/lambda-aligner-log-processor",
    logStreamName: "2026/11/24/[$LATEST]0",
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const event = (data: string) => ({ awslogs: { data } });
/** The processor's own log lines (Powertools writes JSON lines to stdout, errors to stderr). */
const logLines: string[] = [];

beforeAll(async () => {
  db = await startDynalite();
  await db.createJobsTable(TABLE);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    ALIGNER_JOBS_TABLE: TABLE,
    POWERTOOLS_LOG_LEVEL: "INFO",
  });
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      logLines.push(String(chunk));
      return true;
    });
  }
  const { file } = bundleFunction("logProcessor");
  handler = ((await import(`${file}?t=${Date.now()}`)) as { handler: Handler }).handler;
});

afterAll(async () => {
  vi.restoreAllMocks();
  process.env = savedEnv;
  await db.close();
});

describe("log-processor Lambda (bundle)", () => {
  it("decodes a subscription payload and records every request's status", async () => {
    const group = generateGroup({
      format: "Text",
      omitInitDuration: false,
      requests: [
        { attempts: [{ outcome: "success", stream: 0, appLines: 1, rawLines: 2 }] },
        { attempts: [{ outcome: "timeoutNew", stream: 0, appLines: 0, rawLines: 1 }] },
        { attempts: [{ outcome: "oomOld", stream: 0, appLines: 0, rawLines: 0 }] },
      ],
    });
    const stream = group.streams[0]!;
    const result = await handler(event(encodeAwslogsData(payload(group, stream.name, stream.events))), context());
    expect(result).toMatchObject({ outcome: "processed", records: stream.events.length, requests: 3 });
    const records = new Map(
      (await db.scanAll(TABLE)).filter(isJobItem).map((i) => [String(i["requestId"]), recordFromItem(i)]),
    );
    for (const [id, truth] of group.truth) expect(records.get(id)).toMatchObject(truth);
    expect(records.get("00000000-0000-4000-8000-000000000002")?.status).toBe("TIMED_OUT");
    expect(records.get("00000000-0000-4000-8000-000000000003")).toMatchObject({
      status: "FAILED",
      errorType: "Runtime.OutOfMemory",
    });
  });

  it("logs one summary line per payload", async () => {
    logLines.length = 0;
    const group = generateGroup(
      {
        format: "JSON",
        omitInitDuration: true,
        requests: [{ attempts: [{ outcome: "success", stream: 0, appLines: 0, rawLines: 0 }] }],
      },
      "/aws/lambda/summary",
    );
    await handler(
      event(encodeAwslogsData(payload(group, group.streams[0]!.name, group.streams[0]!.events))),
      context(),
    );
    const summaries = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l["message"] === "payload processed");
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      requestsTouched: 1,
      records: group.streams[0]!.events.length,
      writes: expect.any(Number),
      ms: expect.any(Number),
      logStream: group.streams[0]!.name,
    });
  });

  it("skips CloudWatch's control messages", async () => {
    const control: SubscriptionMessage = {
      messageType: "CONTROL_MESSAGE",
      owner: "CloudwatchLogs",
      logGroup: "",
      logStream: "",
      subscriptionFilters: [],
      logEvents: [
        { id: "", timestamp: 1, message: "CWL CONTROL MESSAGE: Checking health of destination Lambda function." },
      ],
    };
    expect(await handler(event(encodeAwslogsData(control)), context())).toEqual({ outcome: "skipped" });
  });

  it("rejects undecodable payloads with a reason, without throwing (no endless retries)", async () => {
    const gz = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v))).toString("base64");
    const valid = gzipSync(
      Buffer.from(JSON.stringify({ messageType: "DATA_MESSAGE", logGroup: "g", logStream: "s", logEvents: [] })),
    );
    const cases: [unknown, RegExp][] = [
      [{}, /no awslogs.data/],
      [null, /no awslogs.data/],
      [event(""), /empty/],
      [event("not base64 at all!"), /not base64 of gzip/],
      [event(valid.subarray(0, valid.length - 8).toString("base64")), /does not gunzip/],
      [event(gzipSync(Buffer.from("{not json")).toString("base64")), /not JSON/],
      [event(gz([1, 2, 3])), /not a JSON object/],
      [event(gz({ messageType: "DATA_MESSAGE", logGroup: "g", logStream: "s" })), /no logEvents/],
      [event(gz({ messageType: "WHAT", logGroup: "g", logStream: "s", logEvents: [] })), /unknown messageType/],
      [
        event(
          gz({
            messageType: "DATA_MESSAGE",
            logGroup: "g",
            logStream: "s",
            logEvents: [{ id: "1", timestamp: "x", message: "m" }],
          }),
        ),
        /timestamp/,
      ],
    ];
    for (const [e, reason] of cases) {
      const r = await handler(e, context());
      expect(r.outcome, JSON.stringify(e).slice(0, 80)).toBe("rejected");
      expect(r.reason).toMatch(reason);
    }
    expect(logLines.some((l) => l.includes('"payload rejected"') && l.includes("does not gunzip"))).toBe(true);
  });

  it("never crashes on random bytes or random JSON (fuzz)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b).toString("base64")),
          fc.uint8Array({ maxLength: 2048 }).map((b) => gzipSync(Buffer.from(b)).toString("base64")),
          fc.jsonValue().map((v) => gzipSync(Buffer.from(JSON.stringify(v))).toString("base64")),
          fc
            .array(
              fc.record({ id: fc.string({ minLength: 1 }), timestamp: fc.integer({ min: 0 }), message: fc.string() }),
              { maxLength: 20 },
            )
            .map((logEvents) =>
              encodeAwslogsData({
                messageType: "DATA_MESSAGE",
                owner: "1",
                logGroup: "/aws/lambda/fuzz",
                logStream: "fuzz",
                subscriptionFilters: [],
                logEvents,
              }),
            ),
        ),
        async (data) => {
          const r = await handler(event(data), context());
          expect(["processed", "rejected", "skipped"]).toContain(r.outcome);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("handles 1 MB payloads: a valid one is processed, a 1 MB blob is rejected", async () => {
    const group = generateGroup(
      {
        format: "Text",
        omitInitDuration: false,
        requests: Array.from({ length: 400 }, () => ({
          attempts: [{ outcome: "success" as const, stream: 0, appLines: 3, rawLines: 3 }],
        })),
      },
      "/aws/lambda/big",
    );
    const stream = group.streams[0]!;
    const padded = stream.events.map((e, i) => (i % 7 === 3 ? { ...e, message: e.message + " ".repeat(2000) } : e));
    const data = encodeAwslogsData(payload(group, stream.name, padded));
    expect(Buffer.byteLength(JSON.stringify(padded))).toBeGreaterThan(1_000_000);
    expect(await handler(event(data), context())).toMatchObject({ outcome: "processed", requests: 400 });
    const blob = Buffer.alloc(1024 * 1024, 7).toString("base64");
    expect(await handler(event(blob), context())).toMatchObject({ outcome: "rejected" });
  });

  it("fails the invocation when DynamoDB fails, so Lambda redelivers", async () => {
    const group = generateGroup(
      {
        format: "Text",
        omitInitDuration: false,
        requests: [{ attempts: [{ outcome: "success", stream: 0, appLines: 0, rawLines: 0 }] }],
      },
      "/aws/lambda/failing",
    );
    const data = encodeAwslogsData(payload(group, group.streams[0]!.name, group.streams[0]!.events));
    await db.close();
    try {
      await expect(handler(event(data), context())).rejects.toThrow();
    } finally {
      db = await startDynalite();
      await db.createJobsTable(TABLE);
    }
  });
});
