/**
 * The aligner's S3 traffic: read the input (checking it while it streams to disk) and stream the
 * alignment to the output bucket with `@aws-sdk/lib-storage` (multipart above 5 MiB, so size is
 * not bounded by memory).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, ListObjectsV2Command, type GetObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { FastaScanner } from "../../core/fasta.ts";

/** S3 says the object is gone (deleted, or never there). */
export function isNoSuchKey(e: unknown): boolean {
  const err = e as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  return (
    err?.name === "NoSuchKey" ||
    err?.Code === "NoSuchKey" ||
    (err?.name === "NotFound" && err.$metadata?.httpStatusCode === 404)
  );
}

/** S3 says the version a request named is gone (deleted, or expired by a lifecycle rule). */
export function isNoSuchVersion(e: unknown): boolean {
  const err = e as { name?: unknown; Code?: unknown } | null;
  return err?.name === "NoSuchVersion" || err?.Code === "NoSuchVersion";
}

/** S3 refused the request for lack of permission. */
export function isAccessDenied(e: unknown): boolean {
  const err = e as { name?: unknown; Code?: unknown } | null;
  return err?.name === "AccessDenied" || err?.Code === "AccessDenied";
}

/**
 * Is `key` in the bucket? A listing of the key as prefix, one entry long: the key itself sorts
 * before every longer key it starts. The role may list every prefix under its input prefix, so
 * this works where a GetObject of a missing key is answered AccessDenied instead of NoSuchKey.
 */
export async function keyListed(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
  return (res.Contents ?? []).some((o) => o.Key === key);
}

export async function getObject(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<GetObjectCommandOutput & { Body: Readable }> {
  const res = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}) }),
  );
  if (!(res.Body instanceof Readable)) throw new Error(`S3 returned no readable body for s3://${bucket}/${key}`);
  return res as GetObjectCommandOutput & { Body: Readable };
}

/** Thrown inside the download pipeline when the scanner rejects the input: stops reading at once. */
export class InputRejected extends Error {
  override name = "InputRejected";
}

/**
 * Streams the body into `file`, feeding every chunk to `scanner` on the way. Stops (and abandons the
 * rest of the download) as soon as the scanner finds a problem. Returns the byte count.
 */
export async function saveBody(body: Readable, file: string, scanner: FastaScanner): Promise<number> {
  let bytes = 0;
  await pipeline(
    body,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        scanner.push(chunk);
        if (scanner.failed !== undefined) throw new InputRejected(scanner.failed);
        bytes += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  return bytes;
}

/** Feeds a whole file to a scanner (for MAFFT's output). */
export async function scanFile(file: string, scanner: FastaScanner): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    scanner.push(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (scanner.failed !== undefined) break;
  }
  return bytes;
}

export interface PutFileOptions {
  bucket: string;
  key: string;
  file: string;
  contentType: string;
  metadata: Record<string, string>;
}

export async function putFile(s3: S3Client, opts: PutFileOptions): Promise<void> {
  const body = createReadStream(opts.file);
  const upload = new Upload({
    client: s3,
    params: { Bucket: opts.bucket, Key: opts.key, Body: body, ContentType: opts.contentType, Metadata: opts.metadata },
    queueSize: 4,
    // A failed part fails the upload, which then aborts its multipart upload (no orphaned parts).
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } finally {
    // A failed upload stops reading mid-file; the stream would keep its descriptor open in the warm environment.
    body.destroy();
  }
}
