/**
 * Rules of FASTA validation (core/fasta.ts) about what is not UTF-8 text at all: byte-order marks,
 * UTF-16/32 and binary files are refused with a sentence saying what the file is and how to fix
 * it, however the upload is cut into chunks. The text is MAFFT's own test input (test/data/
 * mafft-sample/input.fasta), re-encoded as an editor would save it.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FastaScanner, validateFasta, type FastaResult } from "../../core/fasta.ts";

const SAMPLE = readFileSync(new URL("../data/mafft-sample/input.fasta", import.meta.url), "utf8");
const SMALL = ">a first\nMKVLAAGIVG\n>b second\nMKVLSAGIVG\n";

const UTF16 = "is UTF-16 (or UTF-32) text; save it as UTF-8 plain text and upload it again";
const BOM = "starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM so that the first line starts with '>'";
const BINARY = "is binary, not FASTA text; upload the sequences as a UTF-8 text file";

function utf16(text: string, endian: "le" | "be", bom: boolean): Uint8Array {
  const le = Buffer.from(text, "utf16le");
  const bytes = endian === "le" ? le : Buffer.from(le).swap16();
  const mark = endian === "le" ? [0xff, 0xfe] : [0xfe, 0xff];
  return new Uint8Array([...(bom ? mark : []), ...bytes]);
}

function utf32(text: string, endian: "le" | "be"): Uint8Array {
  const out: number[] = endian === "le" ? [0xff, 0xfe, 0, 0] : [0, 0, 0xfe, 0xff];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const b = [c & 0xff, (c >> 8) & 0xff, (c >> 16) & 0xff, 0];
    out.push(...(endian === "le" ? b : b.reverse()));
  }
  return new Uint8Array(out);
}

/** The bytes cut at the given points (sorted, de-duplicated, within range): how an upload streams in. */
function pushInChunks(bytes: Uint8Array, cuts: number[]): FastaResult {
  const scanner = new FastaScanner();
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const c of [...at, bytes.length]) {
    scanner.push(bytes.subarray(from, c));
    from = c;
  }
  return scanner.finish();
}

/** Cuts concentrated in the first bytes, where the encoding shows. */
const cuts = fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.nat()), { maxLength: 6 });

describe("encodings", () => {
  it("the sample itself, as UTF-8 without a BOM, is accepted (in any chunks)", () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    fc.assert(
      fc.property(cuts, (c) => {
        const r = pushInChunks(bytes, c);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.summary.records).toBe(36);
      }),
      { numRuns: 50 },
    );
  });

  it("UTF-16, little or big endian, with or without a byte-order mark, is refused as UTF-16 in any chunks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"le" | "be">("le", "be"),
        fc.boolean(),
        fc.constantFrom(SAMPLE, SMALL),
        cuts,
        (e, bom, text, c) => {
          expect(pushInChunks(utf16(text, e, bom), c)).toEqual({ ok: false, reason: UTF16 });
        },
      ),
    );
  });

  it("UTF-32 is refused as UTF-16 (or UTF-32) in any chunks", () => {
    fc.assert(
      fc.property(fc.constantFrom<"le" | "be">("le", "be"), cuts, (e, c) => {
        expect(pushInChunks(utf32(SMALL, e), c)).toEqual({ ok: false, reason: UTF16 });
      }),
    );
  });

  it("a UTF-8 byte-order mark is refused by name, in any chunks, and only at the very start", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(SMALL)]);
    fc.assert(
      fc.property(cuts, (c) => {
        expect(pushInChunks(bytes, c)).toEqual({ ok: false, reason: BOM });
      }),
    );
    // The same three bytes inside a header are just UTF-8 text (U+FEFF).
    expect(validateFasta(">a \uFEFFnote\nMKV\n>b\nMKV\n").ok).toBe(true);
    // Two of the three are not a byte-order mark.
    const partial = validateFasta(new Uint8Array([0xef, 0xbb, 0x0a, ...new TextEncoder().encode(SMALL)]));
    expect(partial.ok).toBe(false);
    if (!partial.ok) expect(partial.reason).not.toBe(BOM);
  });

  it("a file whose first bytes are not zero and hold no mark is not taken for UTF-16", () => {
    for (const text of [SMALL, `\n\n${SMALL}`, `\r\n${SMALL.replace(/\n/g, "\r\n")}`])
      expect(validateFasta(text).ok).toBe(true);
    // A lone first byte is too little to call a file UTF-16.
    expect(validateFasta(new Uint8Array([0x00]))).toEqual({
      ok: false,
      reason: "is binary, not FASTA text (it holds a NUL byte at line 1); upload the sequences as a UTF-8 text file",
    });
    // All zeros is binary, not UTF-16.
    expect(validateFasta(new Uint8Array(8))).toEqual({
      ok: false,
      reason: "is binary, not FASTA text (it holds a NUL byte at line 1); upload the sequences as a UTF-8 text file",
    });
  });
});

describe("binary files", () => {
  it("a gzip of the sample (a common mistake: uploading the .gz) is refused as binary, in any chunks", () => {
    const gz = new Uint8Array(gzipSync(SAMPLE));
    fc.assert(
      fc.property(cuts, (c) => {
        const r = pushInChunks(gz, c);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toMatch(/^is binary, not FASTA text/);
      }),
      { numRuns: 50 },
    );
  });

  it("a NUL byte anywhere is binary, with the line it is on", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (line) => {
        const lines = SAMPLE.split("\n");
        lines[line - 1] = `${lines[line - 1]}\u0000`;
        expect(validateFasta(lines.join("\n"))).toEqual({
          ok: false,
          reason: `is binary, not FASTA text (it holds a NUL byte at line ${line}); upload the sequences as a UTF-8 text file`,
        });
      }),
    );
  });

  it("control bytes before the first header are binary; printable prose is 'not FASTA', quoted", () => {
    for (const control of [0x01, 0x08, 0x0e, 0x1f, 0x7f])
      expect(validateFasta(new Uint8Array([0x50, control, 0x0a, ...new TextEncoder().encode(SMALL)]))).toEqual({
        ok: false,
        reason: BINARY,
      });
    // Tab, CR, form feed and vertical tab are text, not binary.
    for (const text of ["a\tb\n", "a\fb\n", "a\vb\n"]) {
      const r = validateFasta(text + SMALL);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason, JSON.stringify(text)).toMatch(/^is not FASTA: line 1 should start with '>'/);
    }
    expect(validateFasta(`Dear colleague, the sequences are attached.\n${SMALL}`)).toEqual({
      ok: false,
      reason: `is not FASTA: line 1 should start with '>' and a sequence name but it starts with "Dear colleague, the sequences …"`,
    });
    expect(validateFasta(`hello\n${SMALL}`)).toEqual({
      ok: false,
      reason: `is not FASTA: line 1 should start with '>' and a sequence name but it starts with "hello"`,
    });
    // Non-ASCII prose is not quoted (it could be anything), but still named as not FASTA.
    expect(validateFasta(`Grüße\n${SMALL}`)).toEqual({
      ok: false,
      reason: "is not FASTA: line 1 should start with '>' and a sequence name",
    });
    // The first line that is not blank is the one named.
    expect(validateFasta(`\n \n\tno header here\n${SMALL}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^is not FASTA: line 3 should start with '>'/),
    });
    // Prose with no line end at all is judged at the end of the file.
    expect(validateFasta("just words")).toEqual({
      ok: false,
      reason: `is not FASTA: line 1 should start with '>' and a sequence name but it starts with "just words"`,
    });
  });

  it("the project's random-bytes sample is refused as binary", () => {
    const r = validateFasta(
      new Uint8Array(readFileSync(new URL("../data/mafft-sample/bad-binary.bin", import.meta.url))),
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/binary|UTF-16/);
  });
});
