/**
 * The local SQS endpoint for the failure queues, as `@aws-sdk/client-sqs` sees it: GetQueueUrl,
 * GetQueueAttributes, ReceiveMessage (peek with VisibilityTimeout 0, visibility, long polling,
 * system attributes, MD5OfBody checked by the SDK), DeleteMessage (persisted in the store), and
 * the service's errors (QueueDoesNotExist, InvalidParameterValue, ReceiptHandleIsInvalid, ...).
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { sqsClient } from "../../aws/clients.ts";
import { destinationRecord, FailureStore, type DestinationRecord } from "../../local/lambda/failures.ts";
import { SqsApi } from "../../local/sqs/api.ts";
import { rawPost as post } from "../helpers/raw-http.ts";
import { MAX_REQUEST_BYTES } from "../../local/http-server.ts";
import { FailureQueues } from "../../local/sqs/queues.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const QUEUE = "lab-aligner-failures";
const OTHER = "lab-log-processor-failures";
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function record(n: number, errorMessage = `attempt failed ${n}`): DestinationRecord {
  return destinationRecord({
    requestId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:lab-aligner`,
    condition: n % 2 ? "RetriesExhausted" : "EventAgeExceeded",
    invokeCount: 3,
    payload: { Records: [{ s3: { object: { key: `in/${n}.fasta` } } }] },
    lastError: { errorType: "Sandbox.Timedout", errorMessage, trace: [] },
    at: new Date(T0 + n * 1000),
  });
}

interface Bench {
  dir: string;
  store: FailureStore;
  api: SqsApi;
  sqs: SQSClient;
  url: string;
  clock: { now: number };
  close(): Promise<void>;
}

const benches: Bench[] = [];
afterEach(async () => {
  for (const b of benches.splice(0)) await b.close();
});

/** A store with `n` records in QUEUE, served by a fresh endpoint; `clock` drives visibility timeouts. */
async function bench(n: number, dir = mkdtempSync(path.join(tmpdir(), "aligner-sqs-"))): Promise<Bench> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = new FailureStore(dir);
  for (let i = 1; i <= n; i++) store.put(QUEUE, record(i));
  const clock = { now: T0 + 3_600_000 };
  const api = new SqsApi(
    new FailureQueues(dir, [QUEUE, OTHER], () => clock.now),
    { [QUEUE]: "lab-aligner" },
    { region: REGION, accountId: ACCOUNT },
  );
  const endpoint = await api.listen(0);
  const sqs = sqsClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    maxAttempts: 1,
  });
  const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: QUEUE }))).QueueUrl!;
  const b: Bench = {
    dir,
    store,
    api,
    sqs,
    url,
    clock,
    async close() {
      sqs.destroy();
      await api.close();
    },
  };
  benches.push(b);
  return b;
}

const counts = async (b: Bench) => {
  const a = (
    await b.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: b.url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    )
  ).Attributes!;
  return {
    visible: Number(a.ApproximateNumberOfMessages),
    notVisible: Number(a.ApproximateNumberOfMessagesNotVisible),
  };
};

describe("the local SQS endpoint through @aws-sdk/client-sqs", () => {
  it("finds the queues by name and answers an unknown one with QueueDoesNotExist", async () => {
    const b = await bench(0);
    expect(b.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${ACCOUNT}/${QUEUE}$`));
    const listed = await b.sqs.send(new ListQueuesCommand({ QueueNamePrefix: "lab-log" }));
    expect(listed.QueueUrls).toEqual([b.url.replace(QUEUE, OTHER)]);
    const unknown = b.sqs.send(new GetQueueUrlCommand({ QueueName: "lab-nothing" }));
    await expect(unknown).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(unknown).rejects.toMatchObject({
      name: "QueueDoesNotExist",
      message: "The specified queue does not exist.",
      Code: "AWS.SimpleQueueService.NonExistentQueue",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url.replace(QUEUE, "lab-nothing") })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(
      b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url.replace(ACCOUNT, "111111111111") })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
  });

  it("peeks: the body is the stored record byte for byte, MD5OfBody passes the SDK's check, ids are stable", async () => {
    // Multi-byte characters: an MD5 of anything but the UTF-8 body would fail the SDK's check.
    const dir = mkdtempSync(path.join(tmpdir(), "aligner-sqs-"));
    new FailureStore(dir).put(QUEUE, record(7, "Ω not FASTA: “>” missing — 序列"));
    const b = await bench(0, dir);
    const first = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: b.url, VisibilityTimeout: 0, MessageSystemAttributeNames: ["All"] }),
    );
    expect(first.Messages).toHaveLength(1);
    const m = first.Messages![0]!;
    expect(m.Body).toBe(readFileSync(path.join(dir, `${QUEUE}.jsonl`), "utf8").trimEnd());
    expect(JSON.parse(m.Body!)).toEqual(record(7, "Ω not FASTA: “>” missing — 序列"));
    expect(m.MD5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(m.MessageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(m.Attributes).toMatchObject({
      SentTimestamp: String(T0 + 7000),
      ApproximateReceiveCount: "1",
      ApproximateFirstReceiveTimestamp: String(b.clock.now),
      SenderId: expect.stringMatching(/:lab-aligner$/),
    });

    // VisibilityTimeout 0 leaves it visible: the next receive gets it again, same id, new handle, counted.
    const again = await b.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: b.url,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    expect(again.Messages![0]).toMatchObject({
      MessageId: m.MessageId,
      Body: m.Body,
      Attributes: { ApproximateReceiveCount: "2" },
    });
    expect(again.Messages![0]!.ReceiptHandle).not.toBe(m.ReceiptHandle);
    expect(await counts(b)).toEqual({ visible: 1, notVisible: 0 });

    // Without attributes asked for, none come; and a restarted endpoint gives the message the same id.
    const plain = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url, VisibilityTimeout: 0 }));
    expect(plain.Messages![0]!.Attributes).toBeUndefined();
    const restarted = await bench(0, dir);
    expect(
      (await restarted.sqs.send(new ReceiveMessageCommand({ QueueUrl: restarted.url, VisibilityTimeout: 0 })))
        .Messages![0]!.MessageId,
    ).toBe(m.MessageId);
  });

  it("repeated peeks of 10 see every message of the queue once deduplicated by MessageId", async () => {
    const b = await bench(23);
    const ids = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const got = await b.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: b.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      expect(got.Messages!.length).toBeGreaterThan(0);
      for (const m of got.Messages!)
        ids.set(m.MessageId!, (JSON.parse(m.Body!) as DestinationRecord).requestContext.requestId);
    }
    expect([...ids.values()].sort()).toEqual(
      Array.from({ length: 23 }, (_, i) => record(i + 1).requestContext.requestId),
    );
    expect(await counts(b)).toEqual({ visible: 23, notVisible: 0 });
  });

  it("hides received messages for the visibility timeout, and shows them again when it runs out", async () => {
    const b = await bench(5);
    const taken = await b.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: b.url,
        MaxNumberOfMessages: 3,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    expect(taken.Messages).toHaveLength(3);
    expect(await counts(b)).toEqual({ visible: 2, notVisible: 3 });
    const rest = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: b.url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    expect(rest.Messages!.map((m) => m.MessageId)).not.toContain(taken.Messages![0]!.MessageId);
    expect(rest.Messages).toHaveLength(2);
    expect(await counts(b)).toEqual({ visible: 0, notVisible: 5 });
    // Nothing visible: SQS leaves Messages out of the answer altogether.
    expect(
      (await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url, MaxNumberOfMessages: 10 }))).Messages,
    ).toBeUndefined();

    b.clock.now += 30_001;
    expect(await counts(b)).toEqual({ visible: 5, notVisible: 0 });
    const back = await b.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: b.url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    const byId = new Map(back.Messages!.map((m) => [m.MessageId!, m.Attributes!.ApproximateReceiveCount]));
    expect(byId.get(taken.Messages![0]!.MessageId!)).toBe("2");
  });

  it("long polling answers as soon as a message arrives", { timeout: 10_000 }, async () => {
    const b = await bench(0);
    const waiting = b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: b.url, WaitTimeSeconds: 5, VisibilityTimeout: 0 }),
    );
    setTimeout(() => b.store.put(QUEUE, record(42)), 200);
    const got = await waiting;
    expect(got.Messages!.map((m) => (JSON.parse(m.Body!) as DestinationRecord).requestContext.requestId)).toEqual([
      record(42).requestContext.requestId,
    ]);
  });

  it("deletes by receipt handle, for good (the store loses the line), and refuses a handle it never gave", async () => {
    const b = await bench(3);
    const got = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: b.url, MaxNumberOfMessages: 2, VisibilityTimeout: 30 }),
    );
    const [gone, kept] = got.Messages!;
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: b.url, ReceiptHandle: gone!.ReceiptHandle! }));
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: b.url, ReceiptHandle: gone!.ReceiptHandle! })); // already gone: no error, as in SQS
    const goneId = (JSON.parse(gone!.Body!) as DestinationRecord).requestContext.requestId;
    expect(b.store.read(QUEUE).map((r) => r.requestContext.requestId)).toEqual(
      [1, 2, 3].map((n) => record(n).requestContext.requestId).filter((id) => id !== goneId),
    );
    expect(await counts(b)).toEqual({ visible: 1, notVisible: 1 });

    // The message not deleted keeps its id and its hiding; after a restart only the deleted one is missing.
    const restarted = await bench(0, b.dir);
    const all = await restarted.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: restarted.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    const ids = all.Messages!.map((m) => m.MessageId);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(kept!.MessageId);
    expect(ids).not.toContain(gone!.MessageId);

    const bad = b.sqs.send(new DeleteMessageCommand({ QueueUrl: b.url, ReceiptHandle: "not-a-handle" }));
    await expect(bad).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(bad).rejects.toMatchObject({
      message: 'The input receipt handle "not-a-handle" is not a valid receipt handle.',
    });
    // A handle of one queue does not delete from another.
    await expect(
      b.sqs.send(
        new DeleteMessageCommand({ QueueUrl: b.url.replace(QUEUE, OTHER), ReceiptHandle: kept!.ReceiptHandle! }),
      ),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it("a delete removes that message's line only: records appended meanwhile and lines it does not serve stay", async () => {
    const b = await bench(2);
    const file = path.join(b.dir, `${QUEUE}.jsonl`);
    appendFileSync(file, '{"not":"a destination record"}\n{"version":"1.0","timest\n');
    const got = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: b.url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    expect(got.Messages).toHaveLength(2);
    b.store.put(QUEUE, record(3)); // the async invoker appending between the receive and the delete
    const first = got.Messages!.find(
      (m) => (JSON.parse(m.Body!) as DestinationRecord).requestContext.requestId === record(1).requestContext.requestId,
    )!;
    await b.sqs.send(new DeleteMessageCommand({ QueueUrl: b.url, ReceiptHandle: first.ReceiptHandle! }));
    expect(readFileSync(file, "utf8")).toBe(
      [record(2), '{"not":"a destination record"}', '{"version":"1.0","timest', record(3)]
        .map((l) => `${typeof l === "string" ? l : JSON.stringify(l)}\n`)
        .join(""),
    );
  });

  it("validates what SQS validates, with the service's error codes", async () => {
    const b = await bench(1);
    for (const [input, message] of [
      [
        { MaxNumberOfMessages: 0 },
        "Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
      ],
      [
        { MaxNumberOfMessages: 11 },
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
      ],
      [
        { VisibilityTimeout: 43_201 },
        "Value 43201 for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.",
      ],
      [
        { WaitTimeSeconds: 21 },
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
      ],
    ] as const) {
      await expect(b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url, ...input }))).rejects.toMatchObject({
        name: "InvalidParameterValue",
        message,
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(await counts(b)).toEqual({ visible: 1, notVisible: 0 }); // a refused receive hid nothing
    await expect(
      b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: b.url, AttributeNames: ["Policy"] })),
    ).rejects.toMatchObject({ name: "InvalidAttributeName" });
    const all = (await b.sqs.send(new GetQueueAttributesCommand({ QueueUrl: b.url, AttributeNames: ["All"] })))
      .Attributes!;
    expect(all).toMatchObject({
      QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}`,
      ApproximateNumberOfMessages: "1",
      VisibilityTimeout: "30",
      SqsManagedSseEnabled: "true",
    });
    await expect(b.sqs.send(new SendMessageCommand({ QueueUrl: b.url, MessageBody: "x" }))).rejects.toMatchObject({
      name: "UnsupportedOperation",
      message: "The local cloud does not serve SendMessage.",
    });
  });

  it("skips a line torn by a crash and keeps serving the rest", async () => {
    const b = await bench(2);
    appendFileSync(path.join(b.dir, `${QUEUE}.jsonl`), '{"version":"1.0","timest');
    const got = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: b.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    expect(got.Messages).toHaveLength(2);
    expect(await counts(b)).toEqual({ visible: 2, notVisible: 0 });
  });
});

describe("the local SQS endpoint over raw HTTP (requests no SDK would send)", () => {
  it("answers bad JSON, a missing or foreign X-Amz-Target and a body that is no object with the protocol's error shape", async () => {
    const b = await bench(1);
    const endpoint = b.url.slice(0, b.url.indexOf(`/${ACCOUNT}/`));
    const target = { "x-amz-target": "AmazonSQS.ReceiveMessage" };
    for (const [body, headers, code] of [
      ["{not json", target, "InvalidParameterValue;Sender"],
      ["[1,2]", target, "InvalidParameterValue;Sender"],
      ["{}", {}, "AWS.SimpleQueueService.UnsupportedOperation;Sender"],
      ["{}", { "x-amz-target": "Logs_20140328.GetLogEvents" }, "AWS.SimpleQueueService.UnsupportedOperation;Sender"],
      ["{}", target, "MissingParameter;Sender"],
    ] as const) {
      const r = await post(endpoint, body, headers);
      expect(r.status).toBe(400);
      expect(r.headers["x-amzn-query-error"]).toBe(code);
      expect(JSON.parse(r.body)).toEqual({
        __type: expect.stringMatching(/^com\.amazonaws\.sqs#\w+$/),
        message: expect.any(String),
      });
    }
  });

  it("refuses a body over MAX_REQUEST_BYTES without buffering it, and keeps serving", async () => {
    const b = await bench(1);
    const endpoint = b.url.slice(0, b.url.indexOf(`/${ACCOUNT}/`));
    const huge = Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20);
    const r = await post(endpoint, huge, { "x-amz-target": "AmazonSQS.ReceiveMessage" });
    // The answer is 413, unless the connection closed before the client read it (it was still sending).
    expect([0, 413]).toContain(r.status);
    if (r.status === 413) expect(r.headers["x-amzn-query-error"]).toBe("RequestEntityTooLarge;Sender");
    expect(
      (await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url, VisibilityTimeout: 0 }))).Messages,
    ).toHaveLength(1);
  });
});

describe("FailureQueues", () => {
  it("successive peeks of any size cover the queue without repeating until it wraps (property)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aligner-sqs-prop-"));
    dirs.push(dir);
    let run = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 8 }),
        (n, sizes) => {
          const queue = `q${run++}`;
          const store = new FailureStore(dir);
          for (let i = 1; i <= n; i++) store.put(queue, record(i));
          const queues = new FailureQueues(dir, [queue], () => T0);
          const seen: string[] = [];
          for (const size of sizes) {
            const got = queues.receive(queue, size, 0);
            expect(got.length).toBe(Math.min(size, n));
            seen.push(...got.map((m) => m.messageId));
          }
          // The first n receipts are n different messages: a peek walks the queue before it repeats.
          const firstRound = seen.slice(0, n);
          expect(new Set(firstRound).size).toBe(firstRound.length);
          if (seen.length >= n) expect(new Set(seen).size).toBe(n);
        },
      ),
      { numRuns: 60 },
    );
  });
});
