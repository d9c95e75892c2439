/** Rules of where an alignment goes (core/output-key.ts): folder keys refused, the extension replaced only at the end of the name, S3's limits. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FASTA_EXTENSIONS,
  MAX_S3_KEY_BYTES,
  MAX_USER_METADATA_BYTES,
  OUTPUT_METADATA,
  OUTPUT_SUFFIX,
  OutputKeyError,
  outputKeyFor,
  outputMetadata,
  userMetadataBytes,
} from "../../core/output-key.ts";

const segment = fc.stringMatching(/^[A-Za-z0-9 _.()é-]{1,12}$/).filter((s) => s !== "." && s !== "..");
const folder = fc.array(segment, { maxLength: 3 }).map((parts) => parts.map((p) => `${p}/`).join(""));
/** A name whose own ending is not a FASTA extension. */
const stem = segment.filter((s) => !FASTA_EXTENSIONS.some((e) => s.toLowerCase().endsWith(e)));
const extension = fc
  .constantFrom(...FASTA_EXTENSIONS)
  .chain((e) => fc.constantFrom(e, e.toUpperCase(), e[0] + e.slice(1, 2).toUpperCase() + e.slice(2)));

describe("output keys", () => {
  it("an empty key, or one ending in '/', names a folder and is refused as such", () => {
    expect(() => outputKeyFor("")).toThrow(new OutputKeyError("'' names a folder, not a file"));
    fc.assert(
      fc.property(folder, segment, (dir, last) => {
        const key = `${dir}${last}/`;
        expect(() => outputKeyFor(key)).toThrow(new OutputKeyError(`'${key}' names a folder, not a file`));
      }),
    );
  });

  it("a FASTA extension, in any case, is replaced by the output suffix; the folders and the rest of the name stay", () => {
    fc.assert(
      fc.property(folder, stem, extension, (dir, name, ext) => {
        expect(outputKeyFor(`${dir}${name}${ext}`)).toBe(`${dir}${name}${OUTPUT_SUFFIX}`);
      }),
    );
  });

  it("a name with no FASTA extension keeps its whole name; a name that is only an extension is a name", () => {
    fc.assert(
      fc.property(folder, stem, (dir, name) => {
        expect(outputKeyFor(`${dir}${name}`)).toBe(`${dir}${name}${OUTPUT_SUFFIX}`);
      }),
    );
    for (const ext of FASTA_EXTENSIONS) expect(outputKeyFor(`runs/${ext}`)).toBe(`runs/${ext}${OUTPUT_SUFFIX}`);
  });

  it("an extension on a folder is not the file's: only the last part of the key is looked at", () => {
    expect(outputKeyFor("batch.fasta/readme")).toBe(`batch.fasta/readme${OUTPUT_SUFFIX}`);
    expect(outputKeyFor("a.fa/b.fasta")).toBe(`a.fa/b${OUTPUT_SUFFIX}`);
  });

  it("an output key of exactly S3's 1024 bytes is allowed; one byte more is refused", () => {
    const room = MAX_S3_KEY_BYTES - OUTPUT_SUFFIX.length;
    expect(outputKeyFor(`${"a".repeat(room)}.fasta`)).toHaveLength(MAX_S3_KEY_BYTES);
    expect(() => outputKeyFor(`${"a".repeat(room + 1)}.fasta`)).toThrow(
      new OutputKeyError(`the output key would be longer than S3's ${MAX_S3_KEY_BYTES} bytes; use a shorter input key`),
    );
    // Bytes, not characters: 'é' is two.
    expect(() => outputKeyFor(`${"é".repeat(room / 2)}x`)).toThrow(OutputKeyError);
    expect(outputKeyFor(`${"é".repeat(room / 2)}`)).toHaveLength(room / 2 + OUTPUT_SUFFIX.length);
  });
});

describe("output metadata", () => {
  const base = {
    requestId: "11111111-2222-4333-8444-555555555555",
    mafftVersion: "7.505",
    mafftArgs: "--auto",
    inputBucket: "lambda-aligner-input-x1",
    inputKey: "runs/x.fasta",
    inputEtag: '"0123456789abcdef0123456789abcdef"',
    sequences: 36,
  };

  it("S3 counts every key's and value's UTF-8 bytes", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string({ unit: "grapheme" })), (m) => {
        const expected = Object.entries(m).reduce((n, [k, v]) => n + new TextEncoder().encode(k + v).length, 0);
        expect(userMetadataBytes(m)).toBe(expected);
      }),
    );
  });

  it("the ETag is stored without its quotes, the count as digits", () => {
    const { metadata } = outputMetadata(base);
    expect(metadata[OUTPUT_METADATA.inputEtag]).toBe("0123456789abcdef0123456789abcdef");
    expect(metadata[OUTPUT_METADATA.sequences]).toBe("36");
  });

  it("what is left out to fit goes in order: the input key first, then the arguments, never the rest", () => {
    const longKey = "é".repeat(500); // 1000 bytes, 3000 URI-encoded
    const keyOnly = outputMetadata({ ...base, inputKey: longKey });
    expect(keyOnly.omitted).toEqual([OUTPUT_METADATA.inputKey]);
    const both = outputMetadata({ ...base, inputKey: longKey, mafftArgs: "x".repeat(MAX_USER_METADATA_BYTES) });
    expect(both.omitted).toEqual([OUTPUT_METADATA.inputKey, OUTPUT_METADATA.mafftArgs]);
    expect(userMetadataBytes(both.metadata)).toBeLessThanOrEqual(MAX_USER_METADATA_BYTES);
    for (const kept of ["requestId", "mafftVersion", "inputBucket", "inputEtag", "sequences"] as const)
      expect(both.metadata[OUTPUT_METADATA[kept]], kept).toBeDefined();
    // Exactly at the limit nothing is left out.
    const fixed = userMetadataBytes(outputMetadata({ ...base, inputKey: "" }).metadata);
    const atLimit = outputMetadata({ ...base, inputKey: "k".repeat(MAX_USER_METADATA_BYTES - fixed) });
    expect(userMetadataBytes(atLimit.metadata)).toBe(MAX_USER_METADATA_BYTES);
    expect(atLimit.omitted).toEqual([]);
    const over = outputMetadata({ ...base, inputKey: "k".repeat(MAX_USER_METADATA_BYTES - fixed + 1) });
    expect(over.omitted).toEqual([OUTPUT_METADATA.inputKey]);
  });
});
