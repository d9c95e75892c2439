/**
 * core/etag.ts: the ETag S3 gives a single PUT (the MD5 of the bytes) and a multipart upload
 * (the MD5 of the parts' MD5 digests, then `-<parts>`), computed over bytes that arrive in chunks
 * cutting across parts anywhere.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { EtagHasher, etagIsDigest, parseEtag } from "../../core/etag.ts";

/** S3's definition, written out directly over the whole parts. */
function s3MultipartEtag(data: Buffer, partSizes: number[]): string {
  const digests: Buffer[] = [];
  let at = 0;
  for (const size of partSizes) {
    digests.push(
      createHash("md5")
        .update(data.subarray(at, at + size))
        .digest(),
    );
    at += size;
  }
  return `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${partSizes.length}`;
}

/** `data` cut at the given points (sorted, deduplicated), as a stream would hand it over. */
function chunks(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(from, p));
    from = p;
  }
  return out;
}

describe("parseEtag", () => {
  it.each([
    ['"900150983cd24fb0d6963f7d28e17f72"', { digest: "900150983cd24fb0d6963f7d28e17f72" }],
    ["900150983CD24FB0D6963F7D28E17F72", { digest: "900150983cd24fb0d6963f7d28e17f72" }],
    ['"d41d8cd98f00b204e9800998ecf8427e-12"', { digest: "d41d8cd98f00b204e9800998ecf8427e", parts: 12 }],
    ['"d41d8cd98f00b204e9800998ecf8427e-10000"', { digest: "d41d8cd98f00b204e9800998ecf8427e", parts: 10000 }],
  ])("reads %s", (etag, parsed) => {
    expect(parseEtag(etag)).toEqual(parsed);
  });

  it.each([
    undefined,
    "",
    '"abc"',
    '"d41d8cd98f00b204e9800998ecf8427e-0"',
    '"d41d8cd98f00b204e9800998ecf8427e-10001"',
    '"d41d8cd98f00b204e9800998ecf8427eff"',
    'W/"d41d8cd98f00b204e9800998ecf8427e"',
  ])("refuses %s", (etag) => {
    expect(parseEtag(etag)).toBeUndefined();
  });
});

describe("etagIsDigest", () => {
  it("is the bytes' digest without encryption or with SSE-S3 only", () => {
    expect(etagIsDigest({})).toBe(true);
    expect(etagIsDigest({ serverSideEncryption: "AES256" })).toBe(true);
    expect(etagIsDigest({ serverSideEncryption: "aws:kms" })).toBe(false);
    expect(etagIsDigest({ serverSideEncryption: "aws:kms:dsse" })).toBe(false);
    expect(etagIsDigest({ serverSideEncryption: "AES256", customerAlgorithm: "AES256" })).toBe(false);
  });
});

describe("EtagHasher", () => {
  it("gives MD5's published digests for a single PUT", () => {
    const empty = new EtagHasher();
    expect(empty.digest()).toBe("d41d8cd98f00b204e9800998ecf8427e");
    const abc = new EtagHasher();
    abc.update(Buffer.from("a"));
    abc.update(Buffer.from("bc"));
    expect(abc.digest()).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(abc.size).toBe(3);
  });

  it("gives S3's multipart ETag however the chunks cut across the parts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (partSizes, cuts, seed) => {
          const total = partSizes.reduce((a, b) => a + b, 0);
          const data = Buffer.alloc(total);
          for (let i = 0; i < total; i++) data[i] = (seed + i * 131) & 0xff;
          const hasher = new EtagHasher(partSizes);
          for (const c of chunks(data, cuts)) hasher.update(c);
          expect(hasher.size).toBe(total);
          expect(hasher.digest()).toBe(s3MultipartEtag(data, partSizes));
        },
      ),
    );
  });

  it("gives a different ETag when a byte differs, is missing or is extra", () => {
    const data = Buffer.from("ACGT".repeat(100));
    const parts = [150, 150, 100];
    const expected = s3MultipartEtag(data, parts);
    const digestOf = (bytes: Buffer) => {
      const h = new EtagHasher(parts);
      h.update(bytes);
      return h.digest();
    };
    expect(digestOf(data)).toBe(expected);
    const flipped = Buffer.from(data);
    flipped[200] = flipped[200]! ^ 1;
    expect(digestOf(flipped)).not.toBe(expected);
    expect(digestOf(data.subarray(0, 399))).not.toBe(expected);
    expect(digestOf(Buffer.concat([data, Buffer.from("A")]))).not.toBe(expected);
  });
});
