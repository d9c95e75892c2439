/**
 * S3 event notifications of the local cloud, from a real s3rver written to through the SDK: the
 * record S3 sends (key URL-encoded with `+` for spaces, size, eTag, sequencer, names, ARN), the
 * event-type and prefix/suffix filters, copies and multipart uploads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { s3Client } from "../../aws/clients.ts";
import { decodeEventKey } from "../../core/s3-event-key.ts";
import {
  bridgeS3rverEvents,
  matchesEventType,
  matchesKeyFilter,
  Sequencer,
  type S3Event,
} from "../../local/s3/notifications.ts";
import { LOCAL_CREDENTIALS, startS3rver, type RunningServer } from "../../local/storage.ts";

let dir: string;
let server: RunningServer;
let s3: S3Client;
const delivered: S3Event[] = [];
const filtered: S3Event[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "local-s3-"));
  server = await startS3rver({
    dir,
    port: 0,
    prepare: (s3rver) =>
      bridgeS3rverEvents(
        s3rver,
        [
          {
            bucket: "in-bucket",
            events: ["s3:ObjectCreated:*"],
            filter: { prefix: "", suffix: "" },
            deliver: (e) => delivered.push(e),
          },
          {
            bucket: "in-bucket",
            events: ["s3:ObjectCreated:*"],
            filter: { prefix: "jobs/", suffix: ".fasta" },
            deliver: (e) => filtered.push(e),
          },
        ],
        {
          region: "eu-west-1",
          configurationId: "aligner-trigger",
          principalId: "AWS:S3RVER",
          ownerPrincipalId: "000000000000",
          sequencer: new Sequencer(),
        },
      ),
  });
  s3 = s3Client({
    endpoint: server.endpoint,
    region: "eu-west-1",
    credentials: { ...LOCAL_CREDENTIALS },
    maxAttempts: 1,
  });
  await s3.send(new CreateBucketCommand({ Bucket: "in-bucket" }));
  await s3.send(new CreateBucketCommand({ Bucket: "other-bucket" }));
});

afterAll(async () => {
  s3.destroy();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const last = () => delivered.at(-1)!.Records[0]!;

describe("S3 event records", () => {
  it("are shaped like S3's, with the key URL-encoded (spaces as +) and the PUT's ETag", async () => {
    const key = "my runs/α sample:1 k=v.fasta";
    const put = await s3.send(new PutObjectCommand({ Bucket: "in-bucket", Key: key, Body: ">a\nACGT\n" }));
    // Delivered before the PUT returned: nothing is lost if the process dies right after.
    const r = last();
    expect(r).toMatchObject({
      eventVersion: "2.1",
      eventSource: "aws:s3",
      awsRegion: "eu-west-1",
      eventName: "ObjectCreated:Put",
      userIdentity: { principalId: "AWS:S3RVER" },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "aligner-trigger",
        bucket: { name: "in-bucket", ownerIdentity: { principalId: "000000000000" }, arn: "arn:aws:s3:::in-bucket" },
        object: { size: 8, eTag: put.ETag!.replace(/"/g, "") },
      },
    });
    // As S3 writes it: `/` kept, spaces as `+`, `:` and `=` escaped (keys with them are a classic decoding bug).
    expect(r.s3.object.key).toBe("my+runs/%CE%B1+sample%3A1+k%3Dv.fasta");
    expect(decodeEventKey(r.s3.object.key)).toBe(key);
    expect(r.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(new Date(r.eventTime).toISOString()).toBe(r.eventTime);
    expect(Object.keys(r.responseElements).sort()).toEqual(["x-amz-id-2", "x-amz-request-id"]);
  });

  it("decode back to the key that was written, for any key (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
          .filter(
            (k) =>
              !k.includes("\u0000") &&
              k.trim() === k &&
              !k.startsWith("/") &&
              !/\/\//.test(k) &&
              !k.endsWith("/") &&
              !/(^|\/)\.\.?(\/|$)/.test(k),
          ),
        async (key) => {
          await s3.send(new PutObjectCommand({ Bucket: "in-bucket", Key: key, Body: "x" }));
          expect(decodeEventKey(last().s3.object.key)).toBe(key);
          expect(last().s3.object.key).not.toMatch(/ /);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("carry sequencers that grow, also for rewrites of the same key", async () => {
    const seqs: string[] = [];
    for (let i = 0; i < 5; i++) {
      await s3.send(new PutObjectCommand({ Bucket: "in-bucket", Key: "same.fasta", Body: `>${i}\nA\n` }));
      seqs.push(last().s3.object.sequencer);
    }
    expect([...seqs].sort()).toEqual(seqs);
    expect(new Set(seqs).size).toBe(5);
  });

  it("name copies and multipart uploads as S3 does, with their eTag", async () => {
    await s3.send(
      new CopyObjectCommand({ Bucket: "in-bucket", Key: "copy.fasta", CopySource: "in-bucket/same.fasta" }),
    );
    expect(last()).toMatchObject({
      eventName: "ObjectCreated:Copy",
      s3: { object: { key: "copy.fasta", eTag: expect.stringMatching(/^[0-9a-f]{32}$/) } },
    });
    const body = Buffer.alloc(6 * 1024 * 1024, 65);
    await new Upload({
      client: s3,
      params: { Bucket: "in-bucket", Key: "big file.fasta", Body: body },
      partSize: 5 * 1024 * 1024,
    }).done();
    expect(last()).toMatchObject({
      eventName: "ObjectCreated:CompleteMultipartUpload",
      s3: { object: { key: "big+file.fasta", size: body.length } },
    });
  });

  it("are sent only for the configured bucket, event types and key prefix/suffix", async () => {
    const before = { all: delivered.length, filtered: filtered.length };
    await s3.send(new PutObjectCommand({ Bucket: "other-bucket", Key: "jobs/x.fasta", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: "in-bucket", Key: "jobs/x.txt", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: "in-bucket", Key: "elsewhere/x.fasta", Body: "x" }));
    await s3.send(new PutObjectCommand({ Bucket: "in-bucket", Key: "jobs/ok.fasta", Body: "x" }));
    await s3.send(new DeleteObjectCommand({ Bucket: "in-bucket", Key: "jobs/ok.fasta" }));
    expect(delivered.length - before.all).toBe(3);
    expect(filtered.length - before.filtered).toBe(1);
    expect(filtered.at(-1)!.Records[0]!.s3.object.key).toBe("jobs/ok.fasta");
  });
});

describe("filters", () => {
  it("match event types with wildcards and keys by prefix and suffix, as S3 does", () => {
    expect(matchesEventType("ObjectCreated:Put", ["s3:ObjectCreated:*"])).toBe(true);
    expect(matchesEventType("ObjectRemoved:Delete", ["s3:ObjectCreated:*"])).toBe(false);
    expect(matchesEventType("ObjectCreated:Copy", ["s3:ObjectCreated:Put"])).toBe(false);
    expect(matchesKeyFilter("in/a.fa", { prefix: "in/", suffix: ".fa" })).toBe(true);
    // Prefix and suffix may not overlap.
    expect(matchesKeyFilter("ab", { prefix: "ab", suffix: "b" })).toBe(false);
  });
});
