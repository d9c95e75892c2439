/**
 * aws/s3/download.ts against a real S3 API (s3rver, the local cloud's S3) through the SDK: the
 * bytes saved are the object's, checked against its size and ETag; bytes damaged or cut short on
 * the way (an SDK middleware alters the response body, as a bad network path would) are refused,
 * and then neither the file asked for nor a temporary file is left — a file already there stays
 * as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DownloadCheckError, downloadObject, ObjectMissingError } from "../../aws/s3/download.ts";
import { startS3rver, type LocalS3 } from "../helpers/s3rver.ts";

const BUCKET = "download-test";
let s3: LocalS3;
let client: S3Client;
let dir: string;
/** 3 MiB of varied bytes: many chunks on the way. */
const DATA = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7919 + (i >> 11)) & 0xff));

beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  client = s3.client();
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "runs/big.aligned.fasta", Body: DATA }));
  dir = mkdtempSync(path.join(tmpdir(), "s3-download-"));
}, 60_000);
afterAll(async () => {
  await s3?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A client whose GetObject bodies pass through `alter` on the way in. */
function alteringClient(alter: (body: Readable) => Readable): S3Client {
  const c = s3.client();
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as { Body?: unknown };
      if (context.commandName === "GetObjectCommand" && output.Body instanceof Readable)
        output.Body = alter(output.Body);
      return result;
    },
    { step: "initialize", name: "alterBody" },
  );
  return c;
}

function flipByteAt(at: number) {
  return (body: Readable) => {
    let seen = 0;
    const out = new PassThrough();
    body.on("data", (chunk: Buffer) => {
      const copy = Buffer.from(chunk);
      if (at >= seen && at < seen + copy.length) copy[at - seen] = copy[at - seen]! ^ 0x20;
      seen += copy.length;
      out.write(copy);
    });
    body.on("end", () => out.end());
    return out;
  };
}

function cutAfter(limit: number) {
  return (body: Readable) => {
    let seen = 0;
    const out = new PassThrough();
    body.on("data", (chunk: Buffer) => {
      if (seen < limit) out.write(chunk.subarray(0, Math.max(0, limit - seen)));
      seen += chunk.length;
    });
    body.on("end", () => out.end());
    return out;
  };
}

const from = { bucket: BUCKET, key: "runs/big.aligned.fasta" };

describe("downloadObject", () => {
  it("saves the object's bytes, checked against its size and ETag, and reports progress up to the size", async () => {
    const file = path.join(dir, "ok.fasta");
    const progress: number[] = [];
    const saved = await downloadObject(
      client,
      from,
      { file },
      { onProgress: (done, total) => progress.push(done / total) },
    );
    expect(saved).toEqual({
      bytes: DATA.length,
      etag: createHash("md5").update(DATA).digest("hex"),
      checked: "size+etag",
    });
    expect(readFileSync(file).equals(DATA)).toBe(true);
    expect(progress.at(-1)).toBe(1);
    expect(progress.length).toBeGreaterThan(1);
    expect(readdirSync(dir)).toEqual(["ok.fasta"]);
  });

  it("writes to a stream without ending it", async () => {
    const parts: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        parts.push(chunk);
        done();
      },
    });
    await downloadObject(client, from, { stream: sink });
    expect(Buffer.concat(parts).equals(DATA)).toBe(true);
    expect(sink.writableEnded).toBe(false);
  });

  it("refuses a byte changed on the way, leaving no file and an existing file as it was", async () => {
    const file = path.join(dir, "damaged.fasta");
    writeFileSync(file, "what was here before\n");
    const damaged = alteringClient(flipByteAt(2_000_000));
    const err = await downloadObject(damaged, from, { file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadCheckError);
    expect((err as Error).message).toMatch(
      /^the bytes received from s3:\/\/download-test\/runs\/big\.aligned\.fasta do not match its ETag \([0-9a-f]{32}, received [0-9a-f]{32}\); fetch it again$/,
    );
    expect(readFileSync(file, "utf8")).toBe("what was here before\n");
    expect(readdirSync(dir).filter((f) => f.endsWith(".part"))).toEqual([]);
    damaged.destroy();
  });

  it("refuses bytes cut short, leaving no file", async () => {
    const file = path.join(dir, "short.fasta");
    const cut = alteringClient(cutAfter(1_000_000));
    await expect(downloadObject(cut, from, { file })).rejects.toThrow(
      `received 1000000 bytes of s3://download-test/runs/big.aligned.fasta, which holds ${DATA.length}; fetch it again`,
    );
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith(".part"))).toEqual([]);
    cut.destroy();
  });

  it("says when the object or its bucket does not exist", async () => {
    const file = path.join(dir, "missing.fasta");
    const noKey = await downloadObject(client, { bucket: BUCKET, key: "nothing" }, { file }).catch((e: unknown) => e);
    expect(noKey).toBeInstanceOf(ObjectMissingError);
    expect(noKey).toMatchObject({ what: "key", message: "s3://download-test/nothing does not exist" });
    const noBucket = await downloadObject(client, { bucket: "no-such-bucket", key: "x" }, { file }).catch(
      (e: unknown) => e,
    );
    expect(noBucket).toMatchObject({ what: "bucket", message: "the bucket no-such-bucket does not exist" });
    expect(existsSync(file)).toBe(false);
  });
});
