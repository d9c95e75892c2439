/**
 * Rules of the jobs table's shape (core/jobs-table.ts) and of reading its items back
 * (core/job-item.ts): keys and indexes agree with the records written, shards spread and stay
 * stable, and a reader never crashes on an item, whatever it holds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isJobStatus, keyTime, readJobItem } from "../../core/job-item.ts";
import {
  activityShardKey,
  createJobsTableInput,
  INDEX_SHARDS,
  indexProjection,
  JOB_PK_PREFIX,
  JOB_RECORD_FIELDS,
  JOB_SK,
  JOB_STATUSES,
  jobIndexKeys,
  jobKey,
  JOBS_TABLE,
  keyAttributes,
  PARSE_OUTPUT_FIELDS,
  shardOf,
  statusShardKey,
  STREAM_PK_PREFIX,
  streamPartition,
  TERMINAL_STATUSES,
  timeKey,
  type JobRecord,
} from "../../core/jobs-table.ts";

const isoTimes = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms).toISOString());

describe("table and indexes", () => {
  it("the table is created with every key attribute of the table and its indexes, all strings, and nothing else", () => {
    const input = createJobsTableInput("t");
    expect(input.TableName).toBe("t");
    expect(input.BillingMode).toBe("PAY_PER_REQUEST");
    const declared = input.AttributeDefinitions.map((a) => a.AttributeName).sort();
    const used = [
      ...input.KeySchema.map((k) => k.AttributeName),
      ...input.GlobalSecondaryIndexes.flatMap((ix) => ix.KeySchema.map((k) => k.AttributeName)),
    ];
    expect(declared).toEqual([...new Set(used)].sort());
    expect(keyAttributes().sort()).toEqual(declared);
    for (const a of input.AttributeDefinitions) expect(a.AttributeType).toBe("S");
    expect(input.KeySchema).toEqual([
      { AttributeName: JOBS_TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: JOBS_TABLE.sortKey, KeyType: "RANGE" },
    ]);
  });

  it("each index is keyed as declared, hash then range, and carries every record field but no facts", () => {
    const input = createJobsTableInput("t");
    expect(input.GlobalSecondaryIndexes.map((ix) => ix.IndexName).sort()).toEqual(
      Object.values(JOBS_TABLE.indexes)
        .map((ix) => ix.name)
        .sort(),
    );
    for (const ix of Object.values(JOBS_TABLE.indexes)) {
      const created = input.GlobalSecondaryIndexes.find((g) => g.IndexName === ix.name)!;
      expect(created.KeySchema).toEqual([
        { AttributeName: ix.partitionKey, KeyType: "HASH" },
        { AttributeName: ix.sortKey, KeyType: "RANGE" },
      ]);
      expect(created.Projection).toEqual({ ProjectionType: "INCLUDE", NonKeyAttributes: [...JOB_RECORD_FIELDS] });
    }
    expect(indexProjection()).toEqual({ type: "INCLUDE", nonKeyAttributes: [...JOB_RECORD_FIELDS] });
    expect(indexProjection().nonKeyAttributes).not.toContain("facts");
  });

  it("record fields: parse --json prints a subset, in order, of the fields readers pick; no field twice", () => {
    expect(JOB_RECORD_FIELDS.slice(0, PARSE_OUTPUT_FIELDS.length)).toEqual([...PARSE_OUTPUT_FIELDS]);
    expect(new Set(JOB_RECORD_FIELDS).size).toBe(JOB_RECORD_FIELDS.length);
    expect(PARSE_OUTPUT_FIELDS[0]).toBe("requestId");
    expect(PARSE_OUTPUT_FIELDS[1]).toBe("status");
  });

  it("every status but RUNNING is terminal", () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(JOB_STATUSES.filter((s) => s !== "RUNNING").sort());
  });
});

describe("keys", () => {
  it("a job record and a stream index item never share a partition", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (requestId, group, stream) => {
        const { pk, sk } = jobKey(requestId);
        expect(pk).toBe(`${JOB_PK_PREFIX}${requestId}`);
        expect(sk).toBe(JOB_SK);
        const sp = streamPartition(group, stream);
        expect(sp.startsWith(STREAM_PK_PREFIX)).toBe(true);
        expect(sp.startsWith(JOB_PK_PREFIX)).toBe(false);
        expect(pk.startsWith(STREAM_PK_PREFIX)).toBe(false);
      }),
    );
  });

  it("stream partitions of different (group, stream) pairs differ when names hold no '|'", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9/$\[\]_.-]{1,30}$/);
    fc.assert(
      fc.property(name, name, name, name, (g1, s1, g2, s2) => {
        fc.pre(g1 !== g2 || s1 !== s2);
        expect(streamPartition(g1, s1)).not.toBe(streamPartition(g2, s2));
      }),
    );
  });

  it("a job's shard is stable, in range, and request ids spread evenly over the shards", () => {
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 1, max: 64 }), (id, shards) => {
        const s = shardOf(id, shards);
        expect(Number.isInteger(s)).toBe(true);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(shards);
        expect(shardOf(id, shards)).toBe(s);
        expect(shardOf(id)).toBe(shardOf(id, INDEX_SHARDS));
      }),
    );
    // Changing the hash re-keys every stored record: these are FNV-1a's values, fixed forever.
    expect(["", "a", "foobar"].map((id) => shardOf(id, 2 ** 31))).toEqual([
      0x811c9dc5 % 2 ** 31,
      0xe40c292c % 2 ** 31,
      0xbf9cf968 % 2 ** 31,
    ]);
    const counts = new Array(INDEX_SHARDS).fill(0);
    let x = 1;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      counts[shardOf(`${x.toString(16)}-${i}`)]++;
    }
    for (const c of counts) expect(Math.abs(c - 20_000 / INDEX_SHARDS)).toBeLessThan(20_000 / INDEX_SHARDS / 10);
  });

  it("index keys come from the record: status and activity shards of its request id, time keys sorting by time then id", () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.constantFrom(...JOB_STATUSES),
        isoTimes,
        isoTimes,
        (requestId, status, sortTime, updatedAt) => {
          const keys = jobIndexKeys({ requestId, status, sortTime, updatedAt });
          const shard = shardOf(requestId);
          expect(keys).toEqual({
            statusShard: statusShardKey(status, shard),
            startedKey: timeKey(sortTime, requestId),
            activityShard: activityShardKey(shard),
            updatedKey: timeKey(updatedAt, requestId),
          });
          expect(keyTime(keys.startedKey)).toBe(sortTime);
          expect(keyTime(keys.updatedKey)).toBe(updatedAt);
        },
      ),
    );
    fc.assert(
      fc.property(isoTimes, isoTimes, fc.uuid(), fc.uuid(), (t1, t2, a, b) => {
        fc.pre(t1 !== t2);
        expect(timeKey(t1, a) < timeKey(t2, b)).toBe(t1 < t2);
      }),
    );
    // Status shards of two statuses, and activity shards, never collide.
    const all = [
      ...JOB_STATUSES.flatMap((s) => [0, 1, 2, 3].map((n) => statusShardKey(s, n))),
      ...[0, 1, 2, 3].map(activityShardKey),
    ];
    expect(new Set(all).size).toBe(all.length);
  });
});

/** An item as the log processor writes it. */
function itemOf(
  r: JobRecord,
  keys = jobIndexKeys({
    requestId: r.requestId,
    status: r.status,
    sortTime: r.startedAt ?? "",
    updatedAt: r.updatedAt ?? "",
  }),
) {
  return { ...jobKey(r.requestId), ...keys, ...r, facts: { e1: "{}" }, rev: 1, expiresAt: 1 };
}

const records = fc.record(
  {
    requestId: fc.uuid(),
    status: fc.constantFrom(...JOB_STATUSES),
    attempts: fc.nat(5),
    coldStart: fc.boolean(),
    initDurationMs: fc.double({ min: 0, max: 1e4, noNaN: true }),
    durationMs: fc.double({ min: 0, max: 9e5, noNaN: true }),
    billedDurationMs: fc.nat(),
    memorySizeMb: fc.nat(),
    maxMemoryUsedMb: fc.nat(),
    errorType: fc.string(),
    errorMessage: fc.string(),
    logStream: fc.string(),
    startedAt: isoTimes,
    endedAt: isoTimes,
    logGroup: fc.string(),
    inputBucket: fc.string(),
    inputKey: fc.string(),
    inputBytes: fc.nat(),
    sequences: fc.nat(),
    outputBucket: fc.string(),
    outputKey: fc.string(),
    mafftDurationMs: fc.nat(),
    mafftArgs: fc.string(),
    updatedAt: isoTimes,
  },
  { requiredKeys: ["requestId", "status", "attempts"] },
) as fc.Arbitrary<JobRecord>;

describe("reading items back", () => {
  it("an item the log processor wrote reads back as its record, with its index sort keys", () => {
    fc.assert(
      fc.property(records, (r) => {
        const item = itemOf(r);
        const row = readJobItem(item);
        expect(row).toEqual({ record: r, sortKey: item.startedKey, updatedKey: item.updatedKey });
      }),
    );
  });

  it("an item without index keys gets them from its record's times", () => {
    fc.assert(
      fc.property(records, (r) => {
        const row = readJobItem({ ...r });
        expect(row?.sortKey).toBe(`${r.startedAt ?? r.updatedAt ?? ""}#${r.requestId}`);
        expect(row?.updatedKey).toBe(`${r.updatedAt ?? ""}#${r.requestId}`);
      }),
    );
  });

  it("fields of the wrong type are dropped, numeric strings read as numbers, an unknown status shown as it is", () => {
    const id = "3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b";
    const row = readJobItem({
      pk: `JOB#${id}`,
      status: "PAUSED",
      attempts: "2",
      durationMs: "12.5",
      billedDurationMs: "-3",
      memorySizeMb: "1e3",
      maxMemoryUsedMb: Number.NaN,
      initDurationMs: Number.POSITIVE_INFINITY,
      sequences: true,
      coldStart: "true",
      errorType: 7,
      inputKey: "k",
    });
    expect(row?.record).toEqual({
      requestId: id,
      status: "PAUSED",
      attempts: 2,
      durationMs: 12.5,
      billedDurationMs: -3,
      inputKey: "k",
    });
    expect(readJobItem({ requestId: id })?.record).toEqual({ requestId: id, status: "RUNNING", attempts: 0 });
    expect(readJobItem({ requestId: id, status: "" })?.record.status).toBe("RUNNING");
  });

  it("the request id comes from the item, else from its key; an item that is no job record reads as nothing", () => {
    const id = "3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b";
    expect(readJobItem({ pk: `JOB#${id}` })?.record.requestId).toBe(id);
    expect(readJobItem({ pk: `JOB#${id}`, requestId: "other" })?.record.requestId).toBe("other");
    expect(readJobItem({ pk: `JOB#${id}`, requestId: "" })?.record.requestId).toBe(id);
    expect(readJobItem({ pk: "STREAM#/aws/lambda/f|s", requestId: id })).toBeUndefined();
    expect(readJobItem({ pk: "JOB#" })).toBeUndefined();
    expect(readJobItem({})).toBeUndefined();
    expect(readJobItem({ pk: 7, requestId: id })?.record.requestId).toBe(id);
  });

  it("never throws, whatever the item holds", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...JOB_RECORD_FIELDS, "pk", "sk", "startedKey", "updatedKey"), fc.anything()),
        (item) => {
          expect(() => readJobItem(item)).not.toThrow();
        },
      ),
    );
  });

  it("a status is one of the four, exactly", () => {
    for (const s of JOB_STATUSES) expect(isJobStatus(s)).toBe(true);
    for (const s of ["running", "DONE", "", undefined, 1, null]) expect(isJobStatus(s)).toBe(false);
  });

  it("the time of a key is what comes before its first '#', or the whole key", () => {
    expect(keyTime("2026-11-24T10:00:00.000Z#abc")).toBe("2026-11-24T10:00:00.000Z");
    expect(keyTime("a#b#c")).toBe("a");
    expect(keyTime("#x")).toBe("");
    expect(keyTime("no-hash")).toBe("no-hash");
  });
});
