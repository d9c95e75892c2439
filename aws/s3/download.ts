/**
 * Downloads one S3 object to a file or a stream, streamed (memory does not grow with the object)
 * and checked: the bytes received must number the object's ContentLength and, where S3 makes the
 * ETag from the bytes (SSE-S3 or unencrypted), hash to its ETag — for a multipart object part by
 * part, with the part sizes HeadObject gives (core/etag.ts). A file is written under a temporary
 * name in its folder and renamed only once both checks pass, so a failed or interrupted download
 * never leaves a truncated file under the name asked for.
 *
 *   const saved = await downloadObject(s3, { bucket, key }, { file: "out/x.aligned.fasta" });
 *
 * Only @aws-sdk/client-s3: lib-storage has no download, and one GET streamed to disk is all a file
 * of an alignment's size needs.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, HeadObjectCommand, type GetObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { EtagHasher, etagIsDigest, parseEtag } from "../../core/etag.ts";

export interface S3Location {
  bucket: string;
  key: string;
}

/** A file path (written whole or not at all), or a stream the bytes are written to as they come (not ended). */
export type DownloadDestination = { file: string } | { stream: NodeJS.WritableStream };

export interface DownloadOptions {
  /** Called as bytes arrive: bytes so far and the object's size. */
  onProgress?: (done: number, total: number) => void;
}

export interface Downloaded {
  bytes: number;
  /** As S3 gave it, without quotes. */
  etag: string;
  /** What the bytes were checked against: size and ETag, or the size only (an ETag that is no digest). */
  checked: "size+etag" | "size";
}

/** The object is not there (NoSuchKey, or no such bucket). */
export class ObjectMissingError extends Error {
  override name = "ObjectMissingError";
  constructor(
    readonly location: S3Location,
    readonly what: "key" | "bucket",
    options?: { cause: unknown },
  ) {
    super(
      what === "bucket"
        ? `the bucket ${location.bucket} does not exist`
        : `s3://${location.bucket}/${location.key} does not exist`,
      options,
    );
  }
}

/** The bytes received are not the object's: wrong count or wrong digest. */
export class DownloadCheckError extends Error {
  override name = "DownloadCheckError";
}

/** Parts whose sizes are asked for at once (HeadObject per part, multipart objects only). */
const PART_HEADS_AT_ONCE = 8;

export async function downloadObject(
  s3: S3Client,
  from: S3Location,
  to: DownloadDestination,
  opts: DownloadOptions = {},
): Promise<Downloaded> {
  const res = await getObject(s3, from);
  const body = res.Body;
  if (!(body instanceof Readable)) throw new Error(`S3 returned no readable body for s3://${from.bucket}/${from.key}`);
  try {
    const total = res.ContentLength;
    if (total === undefined) throw new DownloadCheckError(`S3 gave no size for s3://${from.bucket}/${from.key}`);
    const etag = parseEtag(res.ETag);
    const digestible =
      etag !== undefined &&
      etagIsDigest({
        ...(res.ServerSideEncryption !== undefined ? { serverSideEncryption: res.ServerSideEncryption } : {}),
        ...(res.SSECustomerAlgorithm !== undefined ? { customerAlgorithm: res.SSECustomerAlgorithm } : {}),
      });
    const partSizes =
      digestible && etag.parts !== undefined ? await partSizesOf(s3, from, res.ETag!, etag.parts, total) : undefined;
    const hasher = digestible ? new EtagHasher(partSizes) : undefined;
    const expected = {
      total,
      ...(digestible ? { etag: `${etag.digest}${etag.parts !== undefined ? `-${etag.parts}` : ""}` } : {}),
    };
    const counted = countingStream(total, hasher, opts.onProgress);
    const verify = () => check(from, expected, hasher, counted.bytes());
    if ("file" in to) await writeFileChecked(body, counted, to.file, verify);
    else {
      await pipeline(body, counted, to.stream, { end: false });
      verify();
    }
    return {
      bytes: counted.bytes(),
      etag: (res.ETag ?? "").replace(/"/g, ""),
      checked: hasher ? "size+etag" : "size",
    };
  } finally {
    body.destroy();
  }
}

async function getObject(s3: S3Client, from: S3Location): Promise<GetObjectCommandOutput> {
  try {
    return await s3.send(new GetObjectCommand({ Bucket: from.bucket, Key: from.key }));
  } catch (err) {
    throw missing(err, from) ?? err;
  }
}

function missing(err: unknown, from: S3Location): ObjectMissingError | undefined {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  if (e?.name === "NoSuchBucket") return new ObjectMissingError(from, "bucket", { cause: err });
  if (e?.name === "NoSuchKey" || (e?.name === "NotFound" && e.$metadata?.httpStatusCode === 404))
    return new ObjectMissingError(from, "key", { cause: err });
  return undefined;
}

/** Each part's size (HeadObject with PartNumber), every call pinned to the ETag so a replaced object fails. */
async function partSizesOf(
  s3: S3Client,
  from: S3Location,
  etag: string,
  parts: number,
  total: number,
): Promise<number[]> {
  const limit = pLimit(PART_HEADS_AT_ONCE);
  const sizes = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      limit(async () => {
        try {
          const head = await s3.send(
            new HeadObjectCommand({ Bucket: from.bucket, Key: from.key, PartNumber: i + 1, IfMatch: etag }),
          );
          return head.ContentLength ?? 0;
        } catch (err) {
          if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412)
            throw new DownloadCheckError(
              `s3://${from.bucket}/${from.key} was replaced while it was being downloaded; fetch it again`,
              { cause: err },
            );
          throw missing(err, from) ?? err;
        }
      }),
    ),
  );
  if (sizes.reduce((a, b) => a + b, 0) !== total)
    throw new DownloadCheckError(
      `the ${parts} parts of s3://${from.bucket}/${from.key} add up to ${sizes.reduce((a, b) => a + b, 0)} bytes, not its ${total}`,
    );
  return sizes;
}

interface CountingStream extends Transform {
  bytes(): number;
}

function countingStream(
  total: number,
  hasher: EtagHasher | undefined,
  onProgress: DownloadOptions["onProgress"],
): CountingStream {
  let bytes = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      hasher?.update(chunk);
      onProgress?.(bytes, total);
      done(null, chunk);
    },
  });
  return Object.assign(t, { bytes: () => bytes });
}

function check(
  from: S3Location,
  expected: { total: number; etag?: string },
  hasher: EtagHasher | undefined,
  bytes: number,
): void {
  const where = `s3://${from.bucket}/${from.key}`;
  if (bytes !== expected.total)
    throw new DownloadCheckError(`received ${bytes} bytes of ${where}, which holds ${expected.total}; fetch it again`);
  if (hasher === undefined || expected.etag === undefined) return;
  const got = hasher.digest();
  if (got !== expected.etag)
    throw new DownloadCheckError(
      `the bytes received from ${where} do not match its ETag (${expected.etag}, received ${got}); fetch it again`,
    );
}

async function writeFileChecked(
  body: Readable,
  counted: CountingStream,
  file: string,
  verify: () => void,
): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}.part`);
  try {
    await pipeline(body, counted, createWriteStream(temp, { flags: "wx" }));
    verify();
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
