/**
 * Checking downloaded bytes against an S3 object's ETag. Pure (node:crypto only).
 *
 * An object stored with SSE-S3 (or unencrypted) in one PUT has the MD5 of its bytes as ETag. One
 * completed as a multipart upload has `<md5 of the parts' MD5 digests>-<number of parts>`, so the
 * bytes can be checked only with the size of each part (HeadObject with PartNumber gives them).
 * Objects encrypted with SSE-KMS or SSE-C have ETags that are not digests of their data at all.
 */
import { createHash, type Hash } from "node:crypto";

export interface ParsedEtag {
  /** The hex digest without quotes or part count. */
  digest: string;
  /** Parts of a multipart upload; undefined for a single PUT. */
  parts?: number;
}

/** `"9b2cf535f27731c974343645a3985328"` or `"…-12"` as S3 returns it; undefined for anything else. */
export function parseEtag(etag: string | undefined): ParsedEtag | undefined {
  const m = /^"?([0-9a-f]{32})(?:-(\d{1,5}))?"?$/i.exec(etag ?? "");
  if (!m) return undefined;
  const parts = m[2] === undefined ? undefined : Number(m[2]);
  if (parts !== undefined && (parts < 1 || parts > 10_000)) return undefined;
  return { digest: m[1]!.toLowerCase(), ...(parts !== undefined ? { parts } : {}) };
}

/** Whether S3 makes the ETag of an object so encrypted from its bytes (SSE-S3 or none: yes; KMS, DSSE, SSE-C: no). */
export function etagIsDigest(encryption: { serverSideEncryption?: string; customerAlgorithm?: string }): boolean {
  if (encryption.customerAlgorithm) return false;
  const sse = encryption.serverSideEncryption;
  return sse === undefined || sse === "AES256";
}

/**
 * Computes the ETag S3 would give the bytes fed to it, split into parts of the sizes given (one
 * part, MD5 of everything, when `partSizes` is undefined). Chunks may cut across parts anywhere.
 */
export class EtagHasher {
  private readonly whole: Hash | undefined;
  private readonly partDigests: Buffer[] = [];
  private part: Hash | undefined;
  private partIndex = 0;
  private leftInPart = 0;
  private bytes = 0;

  constructor(private readonly partSizes?: readonly number[]) {
    if (partSizes === undefined) this.whole = createHash("md5");
    else this.startPart();
  }

  get size(): number {
    return this.bytes;
  }

  update(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.whole) {
      this.whole.update(chunk);
      return;
    }
    let at = 0;
    while (at < chunk.length) {
      // More bytes than the parts hold go into a part of their own, so the digest cannot match.
      if (this.leftInPart === 0 && !this.startPart()) this.startOverflow();
      const take = Math.min(this.leftInPart, chunk.length - at);
      this.part!.update(chunk.subarray(at, at + take));
      this.leftInPart -= take;
      at += take;
      if (this.leftInPart === 0) this.endPart();
    }
  }

  /** The ETag of the bytes fed so far, without quotes. */
  digest(): string {
    if (this.whole) return this.whole.digest("hex");
    if (this.part) this.endPart();
    // Empty parts at the end take no bytes, so no update started them.
    const sizes = this.partSizes!;
    while (this.partIndex < sizes.length && sizes[this.partIndex] === 0) {
      this.partDigests.push(createHash("md5").digest());
      this.partIndex++;
    }
    const combined = createHash("md5");
    for (const d of this.partDigests) combined.update(d);
    return `${combined.digest("hex")}-${this.partDigests.length}`;
  }

  private startPart(): boolean {
    const sizes = this.partSizes!;
    while (this.partIndex < sizes.length && sizes[this.partIndex] === 0) {
      this.partDigests.push(createHash("md5").digest());
      this.partIndex++;
    }
    if (this.partIndex >= sizes.length) return false;
    this.part = createHash("md5");
    this.leftInPart = sizes[this.partIndex++]!;
    return true;
  }

  private startOverflow(): void {
    this.part = createHash("md5");
    this.leftInPart = Number.POSITIVE_INFINITY;
  }

  private endPart(): void {
    this.partDigests.push(this.part!.digest());
    this.part = undefined;
  }
}
