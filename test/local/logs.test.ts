/**
 * The local CloudWatch Logs: the store (ids, order, persistence), the API as
 * `@aws-sdk/client-cloudwatch-logs` sees it (FilterLogEvents, GetLogEvents, DescribeLogStreams,
 * DescribeLogGroups, paginators, error classes), filter patterns, and the subscription's delivery
 * (CloudWatch's payload, one stream per payload, batching, nothing lost or repeated across a restart).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  paginateDescribeLogStreams,
  paginateFilterLogEvents,
  paginateGetLogEvents,
  ResourceNotFoundException,
  InvalidParameterException,
  type CloudWatchLogsClient,
} from "@aws-sdk/client-cloudwatch-logs";
import { logsClient } from "../../aws/clients.ts";
import { decodeAwslogsData, type SubscriptionMessage } from "../../core/logs/payload.ts";
import { compareEventOrder } from "../../core/status/position.ts";
import { LogsApi } from "../../local/logs/api.ts";
import { MAX_REQUEST_BYTES } from "../../local/http-server.ts";
import { rawPost } from "../helpers/raw-http.ts";
import { compileFilterPattern, FilterPatternError } from "../../local/logs/filter-pattern.ts";
import { LogStore } from "../../local/logs/store.ts";
import { Subscription } from "../../local/logs/subscription.ts";

const GROUP = "/aws/lambda/demo";
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

let dir: string;
let store: LogStore;
let api: LogsApi;
let apiEndpoint: string;
let client: CloudWatchLogsClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "local-logs-"));
  store = new LogStore(path.join(dir, "logs"));
  store.ensureGroup(GROUP, { retentionInDays: 30 });
  store.ensureGroup("/aws/lambda/other");
  // Two streams, events interleaved in time; three events share one millisecond.
  for (let i = 0; i < 30; i++) {
    const stream = i % 2 === 0 ? "2026/11/24/[$LATEST]aaaa" : "2026/11/24/[$LATEST]bbbb";
    const ts = T0 + Math.floor(i / 3) * 1000;
    store.append(GROUP, stream, [
      { timestamp: ts, message: i % 5 === 0 ? `ERROR event ${i} Task timed out\n` : `INFO event ${i}\n` },
    ]);
  }
  api = new LogsApi(store, { region: "us-east-1", accountId: "000000000000" });
  const endpoint = (apiEndpoint = await api.listen());
  client = logsClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the store", () => {
  it("gives events 56-digit numeric ids that grow with ingestion order within a stream, and keeps stream timestamps in order", () => {
    const s = store.append(GROUP, "ordering", [
      { timestamp: T0 + 50, message: "a" },
      { timestamp: T0 + 10, message: "stamped earlier than the one before" },
      { timestamp: T0 + 50, message: "c" },
    ]);
    for (const e of s) expect(e.id).toMatch(/^\d{56}$/);
    expect(s.map((e) => e.timestamp)).toEqual([T0 + 50, T0 + 50, T0 + 50]);
    for (let i = 1; i < s.length; i++) expect(compareEventOrder(s[i - 1]!, s[i]!)).toBeLessThan(0);
    expect(BigInt(s[2]!.id)).toBeGreaterThan(BigInt(s[0]!.id));
  });

  it("keeps everything across a reopen, ids included", () => {
    const reopened = new LogStore(path.join(dir, "logs"));
    const before = [...store.group(GROUP)!.streams.values()].flatMap((s) => s.events);
    const after = [...reopened.group(GROUP)!.streams.values()].flatMap((s) => s.events);
    expect(after).toEqual(before);
    expect(reopened.group(GROUP)!.retentionInDays).toBe(30);
    const next = reopened.append(GROUP, "ordering", [{ timestamp: T0 + 60, message: "after reopen" }])[0]!;
    expect(next.seq).toBeGreaterThan(Math.max(...before.map((e) => e.seq)));
  });

  it("keeps what is appended after a crash tore the last line of a group's file", () => {
    const base = mkdtempSync(path.join(tmpdir(), "local-torn-"));
    try {
      const first = new LogStore(base);
      first.append(GROUP, "before", [{ timestamp: T0, message: "stored before the crash" }]);
      const file = path.join(base, `${encodeURIComponent(GROUP)}.jsonl`);
      appendFileSync(file, '{"k":"ev","s":"before","q":2,"t":'); // the process died mid-write
      const second = new LogStore(base);
      second.append(GROUP, "after", [{ timestamp: T0 + 1, message: "stored after the restart" }]);
      const third = new LogStore(base);
      expect([...third.group(GROUP)!.streams.values()].flatMap((st) => st.events.map((e) => e.message))).toEqual([
        "stored before the crash",
        "stored after the restart",
      ]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe("retention", () => {
  it("deletes the events older than the group's retention, keeps the rest and their ids across a reopen, and never reuses a sequence number", () => {
    const base = mkdtempSync(path.join(tmpdir(), "local-retention-"));
    const DAY = 86_400_000;
    const now = T0 + 10 * DAY;
    try {
      const first = new LogStore(base);
      first.ensureGroup(GROUP, { retentionInDays: 7 });
      first.append(GROUP, "old", [
        { timestamp: T0, message: "ten days old" },
        { timestamp: now - 7 * DAY - 1, message: "just past the retention" },
      ]);
      const kept = first
        .append(GROUP, "mixed", [
          { timestamp: T0 + DAY, message: "nine days old" },
          { timestamp: now - 7 * DAY, message: "exactly at the retention" },
          { timestamp: now - DAY, message: "yesterday" },
        ])
        .slice(1);
      first.append("/aws/lambda/no-retention", "s", [{ timestamp: T0, message: "kept forever" }]);

      expect(first.expire(now)).toBe(3);
      const messages = (st: LogStore, group: string) =>
        [...st.group(group)!.streams.values()].flatMap((x) => x.events.map((e) => e.message));
      expect(messages(first, GROUP)).toEqual(["exactly at the retention", "yesterday"]);
      expect(first.group(GROUP)!.streams.get("old")!.events).toEqual([]); // the stream stays, as in CloudWatch
      expect(first.group(GROUP)!.streams.get("mixed")!.storedBytes).toBe(
        Buffer.byteLength("exactly at the retention") + Buffer.byteLength("yesterday"),
      );
      expect(first.expire(now)).toBe(0);

      // The rewritten file reopens to the same events and ids; new events take new sequence numbers.
      const second = new LogStore(base);
      expect([...second.group(GROUP)!.streams.values()].flatMap((x) => x.events)).toEqual(kept);
      expect(messages(second, "/aws/lambda/no-retention")).toEqual(["kept forever"]);
      const highest = first.group(GROUP)!.nextSeq - 1;
      second.expire(now + 30 * DAY); // everything goes
      const third = new LogStore(base);
      expect(third.append(GROUP, "mixed", [{ timestamp: now + 30 * DAY, message: "new" }])[0]!.seq).toBe(highest + 1);

      // A new retention from the configuration replaces the stored one and survives a reopen.
      third.ensureGroup(GROUP, { retentionInDays: 1 });
      expect(new LogStore(base).group(GROUP)!.retentionInDays).toBe(1);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe("the API, through the SDK", () => {
  it("FilterLogEvents: every stream, in time order, with ids, ingestion times and stream names; bounds inclusive", async () => {
    const res = await client.send(
      new FilterLogEventsCommand({
        logGroupName: GROUP,
        startTime: T0 + 1000,
        endTime: T0 + 3000,
        logStreamNames: ["2026/11/24/[$LATEST]aaaa", "2026/11/24/[$LATEST]bbbb"],
      }),
    );
    const events = res.events ?? [];
    // Seconds 1, 2 and 3 hold events 3..11.
    expect(events.map((e) => e.message)).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) =>
        i % 5 === 0 ? `ERROR event ${i} Task timed out\n` : `INFO event ${i}\n`,
      ),
    );
    for (const e of events) {
      expect(e.eventId).toMatch(/^\d{56}$/);
      expect(e.ingestionTime).toBeGreaterThan(0);
      expect(e.logStreamName).toMatch(/\[\$LATEST\](aaaa|bbbb)$/);
    }
    expect(res.nextToken).toBeUndefined();
  });

  it("FilterLogEvents: term, quoted, optional and excluded patterns", async () => {
    const messages = async (filterPattern: string) =>
      (
        (
          await client.send(
            new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern, logStreamNamePrefix: "2026/" }),
          )
        ).events ?? []
      ).map((e) => e.message!.trim());
    expect(await messages("ERROR")).toEqual([0, 5, 10, 15, 20, 25].map((i) => `ERROR event ${i} Task timed out`));
    expect(await messages('"Task timed out" -25')).toHaveLength(5);
    expect(await messages("?event ?nothing")).toHaveLength(30);
    expect(await messages("INFO 7")).toEqual(["INFO event 7", "INFO event 17", "INFO event 27"]);
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: '{ $.level = "ERROR" }' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it("FilterLogEvents: pages of any size add up to the whole answer, none lost or repeated", async () => {
    const all = (await client.send(new FilterLogEventsCommand({ logGroupName: GROUP }))).events!.map((e) => e.eventId);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), async (limit) => {
        const ids: string[] = [];
        for await (const page of paginateFilterLogEvents({ client, pageSize: limit }, { logGroupName: GROUP }))
          ids.push(...(page.events ?? []).map((e) => e.eventId!));
        expect(ids).toEqual(all);
      }),
      { numRuns: 8 },
    );
  });

  it("GetLogEvents: one stream, from the end by default, from the head on request; the paginator stops at the end", async () => {
    const stream = "2026/11/24/[$LATEST]aaaa";
    const tail = await client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, limit: 2 }));
    expect(tail.events!.map((e) => e.message)).toEqual(["INFO event 26\n", "INFO event 28\n"]);
    expect(tail.nextForwardToken).toMatch(/^f\//);
    expect(tail.nextBackwardToken).toMatch(/^b\//);
    const before = await client.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: stream,
        limit: 2,
        nextToken: tail.nextBackwardToken,
      }),
    );
    expect(before.events!.map((e) => e.message)).toEqual(["INFO event 22\n", "INFO event 24\n"]);
    const messages: string[] = [];
    // CloudWatch returns the same forward token at the end of a stream; without stopOnSameToken the SDK's paginator never ends.
    for await (const page of paginateGetLogEvents(
      { client, pageSize: 4, stopOnSameToken: true },
      { logGroupName: GROUP, logStreamName: stream, startFromHead: true },
    )) {
      messages.push(...page.events!.map((e) => e.message!));
    }
    expect(messages).toHaveLength(15);
    expect(messages[0]).toBe("ERROR event 0 Task timed out\n");
    // endTime is exclusive here.
    const bounded = await client.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: stream,
        startFromHead: true,
        startTime: T0,
        endTime: T0 + 1000,
      }),
    );
    expect(bounded.events!.map((e) => e.message)).toEqual(["ERROR event 0 Task timed out\n", "INFO event 2\n"]);
  });

  it("DescribeLogStreams and DescribeLogGroups page by 50 and describe what is there", async () => {
    for (let i = 0; i < 55; i++)
      store.append("/aws/lambda/other", `s${String(i).padStart(3, "0")}`, [{ timestamp: T0 + i, message: "x" }]);
    const names: string[] = [];
    for await (const page of paginateDescribeLogStreams({ client }, { logGroupName: "/aws/lambda/other" }))
      names.push(...page.logStreams!.map((s) => s.logStreamName!));
    expect(names).toHaveLength(55);
    expect(names).toEqual([...names].sort());
    const newest = await client.send(
      new DescribeLogStreamsCommand({
        logGroupName: "/aws/lambda/other",
        orderBy: "LastEventTime",
        descending: true,
        limit: 1,
      }),
    );
    expect(newest.logStreams![0]).toMatchObject({
      logStreamName: "s054",
      lastEventTimestamp: T0 + 54,
      firstEventTimestamp: T0 + 54,
    });
    expect(newest.logStreams![0]!.arn).toBe(
      "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/other:log-stream:s054",
    );
    const groups = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/lambda/d" }));
    expect(groups.logGroups).toEqual([
      expect.objectContaining({
        logGroupName: GROUP,
        retentionInDays: 30,
        arn: `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}:*`,
        logGroupArn: `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}`,
      }),
    ]);
  });

  it("answers bad JSON, a body that is no object and a foreign X-Amz-Target with the protocol's error shape", async () => {
    const target = { "x-amz-target": "Logs_20140328.FilterLogEvents" };
    for (const [body, headers, type] of [
      ["{not json", target, "SerializationException"],
      ["[1,2]", target, "SerializationException"],
      ["{}", {}, "UnknownOperationException"],
      ["{}", { "x-amz-target": "AmazonSQS.ReceiveMessage" }, "UnknownOperationException"],
    ] as const) {
      const r = await rawPost(apiEndpoint, body, headers, "application/x-amz-json-1.1");
      expect(r.status).toBe(400);
      expect(r.headers["x-amzn-requestid"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(r.body)).toEqual({ __type: type, message: expect.any(String) });
    }
  });

  it("refuses a body over MAX_REQUEST_BYTES without buffering it, and keeps serving", async () => {
    const endpoint = apiEndpoint;
    const huge = Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20);
    const r = await rawPost(
      endpoint,
      huge,
      { "x-amz-target": "Logs_20140328.FilterLogEvents" },
      "application/x-amz-json-1.1",
    );
    // The answer is 413, unless the connection closed before the client read it (it was still sending).
    expect([0, 413]).toContain(r.status);
    if (r.status === 413) expect(JSON.parse(r.body)).toMatchObject({ __type: "RequestEntityTooLargeException" });
    const ok = await rawPost(
      endpoint,
      JSON.stringify({ logGroupName: GROUP, limit: 1 }),
      { "x-amz-target": "Logs_20140328.FilterLogEvents" },
      "application/x-amz-json-1.1",
    );
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { events: unknown[] }).events).toHaveLength(1);
  });

  it("answers with the service's error shapes", async () => {
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/missing" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "missing" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: ["a"], logStreamNamePrefix: "b" })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      client.send(new FilterLogEventsCommand({ logGroupName: GROUP, nextToken: "not-a-token" })),
    ).rejects.toThrow(/nextToken is invalid/);
    // A log group ARN works as the identifier.
    const byArn = await client.send(
      new FilterLogEventsCommand({
        logGroupIdentifier: `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}`,
        limit: 1,
      }),
    );
    expect(byArn.events).toHaveLength(1);
  });
});

describe("filter patterns", () => {
  it("match as CloudWatch does: case-sensitive substrings, all terms, any of the ?terms, none of the -terms", () => {
    expect(compileFilterPattern("")("anything")).toBe(true);
    expect(compileFilterPattern("ERROR")("an error")).toBe(false);
    expect(compileFilterPattern("ERROR timeout")("ERROR: timeout")).toBe(true);
    expect(compileFilterPattern("ERROR timeout")("ERROR only")).toBe(false);
    expect(compileFilterPattern('"Task timed out"')("Task timed out after 3.00 seconds")).toBe(true);
    expect(compileFilterPattern('"Task timed out"')("Task  timed out")).toBe(false);
    expect(compileFilterPattern("?WARN ?ERROR")("WARN x")).toBe(true);
    expect(compileFilterPattern("?WARN ?ERROR")("INFO x")).toBe(false);
    expect(compileFilterPattern("ERROR -Retrying")("ERROR Retrying")).toBe(false);
    expect(() => compileFilterPattern('"unterminated')).toThrow(FilterPatternError);
  });
});

describe("the subscription", () => {
  function setup(opts: { flushMs?: number; cursorFile?: string; store?: LogStore } = {}) {
    const s = opts.store ?? new LogStore(undefined);
    const delivered: SubscriptionMessage[] = [];
    const sub = new Subscription(s, {
      filterName: "status",
      logGroup: "/aws/lambda/src",
      filterPattern: "",
      owner: "000000000000",
      flushMs: opts.flushMs ?? 20,
      cursorFile: opts.cursorFile,
      deliver: (event) => delivered.push(decodeAwslogsData(event.awslogs.data)),
    });
    return { store: s, sub, delivered };
  }

  it("sends CloudWatch's payload: base64 gzip JSON, one stream per payload, batched within the window; a control message first", async () => {
    const { store: s, sub, delivered } = setup({ flushMs: 50 });
    try {
      expect(delivered[0]).toMatchObject({ messageType: "CONTROL_MESSAGE", logGroup: "", logStream: "" });
      s.append("/aws/lambda/src", "a", [{ timestamp: T0, message: "1" }]);
      s.append("/aws/lambda/src", "b", [{ timestamp: T0, message: "2" }]);
      s.append("/aws/lambda/src", "a", [{ timestamp: T0 + 1, message: "3" }]);
      s.append("/aws/lambda/other", "a", [{ timestamp: T0, message: "not subscribed" }]);
      expect(delivered).toHaveLength(1);
      await expect.poll(() => delivered.length).toBe(3);
      const [, first, second] = delivered;
      const byStream = Object.fromEntries([first!, second!].map((m) => [m.logStream, m]));
      expect(byStream["a"]).toMatchObject({
        messageType: "DATA_MESSAGE",
        owner: "000000000000",
        logGroup: "/aws/lambda/src",
        subscriptionFilters: ["status"],
      });
      expect(byStream["a"]!.logEvents.map((e) => e.message)).toEqual(["1", "3"]);
      expect(byStream["b"]!.logEvents.map((e) => e.message)).toEqual(["2"]);
      expect(sub.idle).toBe(true);
    } finally {
      sub.close();
    }
  });

  it("delivers every event exactly once, in contiguous ordered runs of one stream, whatever the appends (property)", async () => {
    await fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.integer({ min: 1, max: 400 })), {
          minLength: 1,
          maxLength: 25,
        }),
        (appends) => {
          const { store: s, sub, delivered } = setup({ flushMs: 60_000 });
          try {
            let n = 0;
            for (const [stream, count] of appends) {
              s.append(
                "/aws/lambda/src",
                stream,
                Array.from({ length: count }, () => ({ timestamp: T0 + n, message: `m${n++}`.padEnd(800, ".") })),
              );
            }
            sub.flushAll();
            const data = delivered.filter((m) => m.messageType === "DATA_MESSAGE");
            const ids = data.flatMap((m) => m.logEvents.map((e) => e.id));
            expect(new Set(ids).size).toBe(n);
            expect(ids).toHaveLength(n);
            for (const m of data) {
              const streamEvents = s
                .group("/aws/lambda/src")!
                .streams.get(m.logStream)!
                .events.map((e) => e.id);
              const at = streamEvents.indexOf(m.logEvents[0]!.id);
              expect(streamEvents.slice(at, at + m.logEvents.length)).toEqual(m.logEvents.map((e) => e.id));
              // 256 KiB of messages at most per payload.
              expect(m.logEvents.reduce((b, e) => b + e.message.length, 0)).toBeLessThanOrEqual(256 * 1024);
            }
          } finally {
            sub.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("delivers after a restart what was stored but not yet delivered, and nothing twice", () => {
    const base = mkdtempSync(path.join(tmpdir(), "local-sub-"));
    try {
      const cursorFile = path.join(base, "cursor.json");
      const s1 = new LogStore(path.join(base, "logs"));
      const first = setup({ store: s1, cursorFile, flushMs: 60_000 });
      s1.append("/aws/lambda/src", "a", [{ timestamp: T0, message: "delivered before the stop" }]);
      first.sub.flushAll();
      s1.append("/aws/lambda/src", "a", [{ timestamp: T0 + 1, message: "stored, then the process died" }]);
      first.sub.close(); // no flush: a crash

      const s2 = new LogStore(path.join(base, "logs"));
      const second = setup({ store: s2, cursorFile, flushMs: 60_000 });
      second.sub.flushAll();
      expect(second.delivered.some((m) => m.messageType === "CONTROL_MESSAGE")).toBe(false);
      expect(second.delivered.flatMap((m) => m.logEvents.map((e) => e.message))).toEqual([
        "stored, then the process died",
      ]);
      second.sub.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
