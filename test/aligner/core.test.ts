/**
 * The aligner's pure parts: FASTA validation (chunking must not matter), the MAFFT argument
 * allow-list, output keys, S3 event keys, job events (writer ↔ the log processor's reader) and the
 * shaping of MAFFT's stderr.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareAlignment, FastaScanner, validateFasta } from "../../core/fasta.ts";
import { formatBytes } from "../../core/format-bytes.ts";
import {
  JOB_ERROR_TYPES,
  jobEventFields,
  jobEventMessage,
  readJobEvent,
  type JobEvent,
} from "../../core/job-events.ts";
import { parseLogEvent } from "../../core/logs/parse.ts";
import {
  formatMafftArgs,
  keepsAnySymbol,
  MAFFT_OPTIONS,
  MAX_MAFFT_ARG_TOKENS,
  parseMafftArgs,
  reordersOutput,
  validateMafftArgs,
} from "../../core/mafft-args.ts";
import { DEFAULT_STDERR_POLICY, mafftInputComplaint, StderrForwarder, StderrLines } from "../../core/mafft-stderr.ts";
import {
  MAX_S3_KEY_BYTES,
  MAX_USER_METADATA_BYTES,
  OUTPUT_METADATA,
  OutputKeyError,
  outputKeyFor,
  outputMetadata,
  userMetadataBytes,
} from "../../core/output-key.ts";
import { decodeEventKey, encodeEventKey, EventKeyError } from "../../core/s3-event-key.ts";

const enc = new TextEncoder();

/** Splits bytes at the given cut points (any of them may fall inside a header, a CRLF or a UTF-8 character). */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

const record = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9_.|éα-ω]{1,12}$/),
  description: fc.option(fc.stringMatching(/^[ -~]{0,20}$/), { nil: undefined }),
  residues: fc.stringMatching(/^[A-Za-z]{1,120}$/),
  gaps: fc.array(fc.nat(), { maxLength: 3 }),
  width: fc.integer({ min: 5, max: 80 }),
});

/** One allowed option with a value it accepts, as tokens. */
const allowedGroup = fc.constantFrom(...Object.keys(MAFFT_OPTIONS)).chain((opt): fc.Arbitrary<string[]> => {
  const spec = MAFFT_OPTIONS[opt]!.value;
  if (spec === undefined) return fc.constant<string[]>([opt]);
  if (spec.kind === "choice") return fc.constantFrom(...spec.values).map((v) => [opt, v]);
  if (spec.kind === "int") return fc.integer({ min: spec.min, max: spec.max }).map((v) => [opt, String(v)]);
  return fc.double({ min: spec.min, max: spec.max, noNaN: true }).map((v) => [opt, v.toFixed(3)]);
});
const allowedList = fc.array(allowedGroup, { maxLength: 8 });

describe("FASTA validation", () => {
  it("any chunking of a valid file gives the same summary (names, residues per record)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(record, { minLength: 2, maxLength: 8, selector: (r) => r.name }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (records, eol, blankLines, cuts) => {
          let text = blankLines ? eol : "";
          for (const r of records) {
            text += `>${r.name}${r.description !== undefined ? ` ${r.description}` : ""}${eol}`;
            let seq = r.residues;
            for (const g of r.gaps) seq = `${seq.slice(0, g % (seq.length + 1))}-${seq.slice(g % (seq.length + 1))}`;
            for (let i = 0; i < seq.length; i += r.width) text += seq.slice(i, i + r.width) + eol;
            if (blankLines) text += eol;
          }
          const scanner = new FastaScanner();
          for (const c of chunked(enc.encode(text), cuts)) scanner.push(c);
          const result = scanner.finish();
          expect(result).toEqual({
            ok: true,
            summary: {
              records: records.length,
              residues: records.reduce((n, r) => n + r.residues.length, 0),
              lengths: records.map((r) => r.residues.length),
              names: records.map((r) => r.name),
              maxLength: Math.max(...records.map((r) => r.residues.length)),
            },
          });
        },
      ),
      { numRuns: 400 },
    );
  });

  it("any chunking of a bad file gives the same reason", () => {
    const bad = [
      ">a\nMKV\n>a\nMKV\n",
      ">a\nMK1V\n>b\nM\n",
      "hello\n>a\nM\n",
      ">a\n\n>b\nMK\n",
      ">a\nMK\n",
      "",
      ">\nMK\n>b\nMK\n",
      ">a\x00\nMK\n>b\nMK\n",
    ];
    fc.assert(
      fc.property(fc.constantFrom(...bad), fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const whole = validateFasta(text);
        const scanner = new FastaScanner();
        for (const c of chunked(enc.encode(text), cuts)) scanner.push(c);
        expect(whole.ok).toBe(false);
        expect(scanner.finish()).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it("says what is wrong in words that follow the file name", () => {
    const reason = (t: string | Uint8Array, opts = {}) => {
      const r = validateFasta(t, opts);
      return r.ok ? "ok" : r.reason;
    };
    expect(reason("")).toBe("is empty; upload a FASTA file with at least two sequences");
    expect(reason("\n  \n")).toBe("holds only blank lines; upload a FASTA file with at least two sequences");
    expect(reason(">a b c\nMKV\n")).toBe("holds only one sequence ('a'); MAFFT needs at least 2 to align");
    expect(reason(">a\nMK V\tL\r\n>b\nMKVL\n")).toBe("ok");
    expect(reason(">a\nMK*\n>b\nMKVL\n")).toBe(
      "has '*' at line 2, column 3, in record 1 ('a'); sequences may hold only letters and '-' gaps (MAFFT's --anysymbol keeps other symbols)",
    );
    expect(reason(">a\nMK*\n>b\nMKVL\n", { symbols: "printable" })).toBe("ok");
    expect(reason(">a\nMKé\n>b\nMKVL\n")).toMatch(/^has a non-ASCII character at line 2/);
    expect(reason(">a\x01\nMK\n>b\nMKVL\n")).toBe(
      "has a control character (byte 0x01) in the header at line 1; headers must be plain text",
    );
    expect(reason(new Uint8Array([0x3e, 0x61, 0xff, 0x0a, 0x4d, 0x0a, 0x3e, 0x62, 0x0a, 0x4d]))).toBe(
      "has a header that is not UTF-8 text at line 1; save the file as UTF-8",
    );
    expect(reason(`>${"x".repeat(10_001)}\nMK\n>b\nMK\n`)).toBe("has a header longer than 10000 bytes at line 1");
    expect(reason(">a\nMK\n>b\nMK\n", { minRecords: 3 })).toBe(
      "holds only 2 sequences; MAFFT needs at least 3 to align",
    );
  });

  it("compares an alignment with its input: record count and residues per record", () => {
    const input = (validateFasta(">a\nMKVL\n>b\nMKL\n>c\nMK\n") as { ok: true; summary: never }).summary;
    const out = (t: string) =>
      (validateFasta(t, { symbols: "printable", uniqueNames: false, minRecords: 1 }) as { ok: true; summary: never })
        .summary;
    expect(compareAlignment(input, out(">a\nmkvl\n>b\nmk-l\n>c\nmk--\n"), false)).toBeUndefined();
    expect(compareAlignment(input, out(">a\nmkvl\n>b\nmk-l\n"), false)).toBe("MAFFT returned 2 sequences for 3");
    expect(compareAlignment(input, out(">a\nmkvl\n>b\nmk--\n>c\nmk-l\n"), false)).toBe(
      "MAFFT returned record 2 ('b') with 2 residues instead of 3",
    );
    expect(compareAlignment(input, out(">c\nmk--\n>a\nmkvl\n>b\nmk-l\n"), true)).toBeUndefined();
  });
});

describe("MAFFT arguments", () => {
  it("every allowed list survives format → parse unchanged", () => {
    fc.assert(
      fc.property(allowedList, (groups) => {
        const args = groups.flat();
        expect(parseMafftArgs(formatMafftArgs(args))).toEqual({ ok: true, args });
      }),
    );
  });

  it("nothing but allowed options and plain numbers ever gets through", () => {
    const tokens = Object.keys(MAFFT_OPTIONS);
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom<string>(...tokens, "--add", "--out", ";", "$(id)", "1e3", "-1", "0x10", "..."),
            fc.string(),
          ),
          { maxLength: 6 },
        ),
        (parts) => {
          const r = parseMafftArgs(parts.join(" "));
          if (!r.ok) {
            expect(r.reason).not.toMatch(/\n/);
            return;
          }
          if (r.args.length > 0) accepted++;
          for (let i = 0; i < r.args.length; i++) {
            const spec = MAFFT_OPTIONS[r.args[i]!];
            expect(spec).toBeDefined();
            if (spec?.value !== undefined) expect(r.args[++i]).toMatch(/^-?(\d+(\.\d*)?|\.\d+)$/);
          }
        },
      ),
      { numRuns: 2000 },
    );
    // The checks above ran on lists that got through, not only on refusals.
    expect(accepted).toBeGreaterThan(20);
  });

  it("explains refusals", () => {
    const why = (t: string) => {
      const r = parseMafftArgs(t);
      return r.ok ? "ok" : r.reason;
    };
    expect(why("")).toBe("ok");
    expect(why("--localpair --maxiterate 1000")).toBe("ok");
    expect(why("--thread -1 --op=1.53 --ep 0.123")).toBe("ok");
    expect(why("--maxiterate")).toBe("--maxiterate needs a value (a whole number from 0 to 1000)");
    expect(why("--maxiterate 1e3")).toBe(
      "--maxiterate '1e3' is not allowed: the value must be a whole number from 0 to 1000",
    );
    expect(why("--bl 50")).toBe("--bl '50' is not allowed: the value must be one of 30, 45, 62, 80");
    expect(why("--op 0.0000000000001")).toBe(
      "--op '0.0000000000001' is not allowed: the value must be a number from 0 to 100, written in at most 12 characters",
    );
    expect(why("--seed x.fasta")).toBe("'--seed' is not allowed: it reads another file, and a job has only its input");
    expect(why("--quiet")).toBe(
      "'--quiet' is not allowed: the aligner forwards MAFFT's messages itself, and needs them to explain failures",
    );
    expect(why("--help")).toBe("'--help' is not allowed: it does not align anything");
    expect(why("--constructor")).toMatch(/^'--constructor' is not an allowed MAFFT option \(allowed: --auto, /);
    expect(why(Array(41).fill("--auto").join(" "))).toBe("41 arguments is more than the 40 allowed");
    expect(validateMafftArgs(["--op", "1", "--auto"])).toEqual({ ok: true, args: ["--op", "1", "--auto"] });
  });

  it("knows which lists reorder the output or keep any symbol", () => {
    expect(reordersOutput(["--auto"])).toBe(false);
    expect(reordersOutput(["--reorder"])).toBe(true);
    expect(reordersOutput(["--reorder", "--inputorder"])).toBe(false);
    expect(keepsAnySymbol(["--preservecase"])).toBe(true);
    expect(keepsAnySymbol(["--auto"])).toBe(false);
  });
});

describe("keys", () => {
  it("output keys: same folder and name, FASTA extension replaced", () => {
    expect(outputKeyFor("runs/opsins.fasta")).toBe("runs/opsins.aligned.fasta");
    expect(outputKeyFor("runs/opsins.FA")).toBe("runs/opsins.aligned.fasta");
    expect(outputKeyFor("a b/x")).toBe("a b/x.aligned.fasta");
    expect(outputKeyFor("x.tar.gz")).toBe("x.tar.gz.aligned.fasta");
    expect(outputKeyFor(".fasta")).toBe(".fasta.aligned.fasta");
    expect(() => outputKeyFor("folder/")).toThrow(OutputKeyError);
    expect(() => outputKeyFor(`${"é".repeat(510)}.fasta`)).toThrow(
      "the output key would be longer than S3's 1024 bytes; use a shorter input key",
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }).filter((k) => !k.endsWith("/")),
        (key) => {
          const out = outputKeyFor(key);
          expect(out.endsWith(".aligned.fasta")).toBe(true);
          expect(out).not.toBe(key);
          expect(out.slice(0, key.lastIndexOf("/") + 1)).toBe(key.slice(0, key.lastIndexOf("/") + 1));
        },
      ),
    );
  });

  it("output metadata stays within S3's 2 KB: a key too long to carry is left out, never the upload", () => {
    const base = {
      requestId: "11111111-2222-4333-8444-555555555555",
      mafftVersion: "7.505",
      mafftArgs: "--auto",
      inputBucket: "b".repeat(63),
      inputEtag: '"0123456789abcdef0123456789abcdef-10000"',
      sequences: 123_456,
    };
    expect(outputMetadata({ ...base, inputKey: "runs/x y.fasta" })).toEqual({
      metadata: {
        "request-id": base.requestId,
        "mafft-version": "7.505",
        "mafft-args": "--auto",
        "input-bucket": base.inputBucket,
        "input-key": "runs%2Fx%20y.fasta",
        "input-etag": "0123456789abcdef0123456789abcdef-10000",
        sequences: "123456",
      },
      omitted: [],
    });
    const long = outputMetadata({ ...base, inputKey: `${"é".repeat(500)}.fasta` });
    expect(long.omitted).toEqual([OUTPUT_METADATA.inputKey]);
    expect(userMetadataBytes(long.metadata)).toBeLessThanOrEqual(MAX_USER_METADATA_BYTES);
    // Any key S3 allows, with any allowed argument list (up to the 40-token limit): within the limit,
    // the arguments always kept, the key kept whenever it fits.
    const longestArgs = Array(MAX_MAFFT_ARG_TOKENS).fill(
      Object.keys(MAFFT_OPTIONS).reduce((a, b) => (b.length > a.length ? b : a)),
    );
    let keptKeys = 0;
    let omittedKeys = 0;
    fc.assert(
      fc.property(
        fc
          .oneof(
            fc.string({ unit: "grapheme", maxLength: 400 }),
            fc.string({ unit: fc.constantFrom("a", " ", "/", "é", "字", "🧬"), minLength: 100, maxLength: 500 }),
          )
          .filter((k) => Buffer.byteLength(k) <= MAX_S3_KEY_BYTES),
        fc.oneof(
          fc.array(allowedGroup, { maxLength: 20 }).map((g) => g.flat().slice(0, MAX_MAFFT_ARG_TOKENS)),
          fc.constant(longestArgs),
        ),
        (inputKey, args) => {
          const fields = { ...base, inputKey, mafftArgs: formatMafftArgs(args) };
          const { metadata, omitted } = outputMetadata(fields);
          expect(userMetadataBytes(metadata)).toBeLessThanOrEqual(MAX_USER_METADATA_BYTES);
          expect(metadata[OUTPUT_METADATA.mafftArgs]).toBe(fields.mafftArgs);
          const withKey = userMetadataBytes({ ...metadata, [OUTPUT_METADATA.inputKey]: encodeURIComponent(inputKey) });
          expect(omitted).toEqual(withKey > MAX_USER_METADATA_BYTES ? [OUTPUT_METADATA.inputKey] : []);
          if (omitted.length > 0) omittedKeys++;
          else keptKeys++;
        },
      ),
      { numRuns: 500 },
    );
    expect(keptKeys).toBeGreaterThan(0);
    expect(omittedKeys).toBeGreaterThan(0);
  });

  it("S3 event keys: '+' is a space, %XX is UTF-8; decoding inverts encoding for every key", () => {
    expect(decodeEventKey("my+seqs/%CE%B1.fasta")).toBe("my seqs/α.fasta");
    expect(decodeEventKey("a%2Bb.fasta")).toBe("a+b.fasta");
    expect(encodeEventKey("a b+c/é.fa")).toBe("a+b%2Bc/%C3%A9.fa");
    expect(() => decodeEventKey("bad%E0%A4%A")).toThrow(EventKeyError);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (key) => {
        expect(decodeEventKey(encodeEventKey(key))).toBe(key);
      }),
    );
  });
});

describe("byte counts", () => {
  it("read in the largest unit under 1024, as shown", () => {
    expect(
      [0, 1023, 1024, 16_594, 1024 * 1024 - 1, 100 * 1024 * 1024, 1024 ** 3 - 1, 2 ** 50].map(formatBytes),
    ).toEqual(["0 bytes", "1023 bytes", "1.0 KiB", "16.2 KiB", "1.0 MiB", "100 MiB", "1.0 GiB", "1024 TiB"]);
  });
});

describe("job events", () => {
  const eventArb: fc.Arbitrary<JobEvent> = fc.oneof(
    fc.record({
      jobEvent: fc.constant("accepted" as const),
      inputBucket: fc.string(),
      inputKey: fc.string(),
      inputBytes: fc.nat(),
      sequences: fc.nat(),
      mafftArgs: fc.string(),
    }),
    fc.record({
      jobEvent: fc.constant("succeeded" as const),
      outputBucket: fc.string(),
      outputKey: fc.string(),
      mafftDurationMs: fc.nat(),
    }),
    fc.record(
      {
        jobEvent: fc.constant("failed" as const),
        errorType: fc.constantFrom(...JOB_ERROR_TYPES),
        errorMessage: fc.string(),
        inputBucket: fc.string(),
        inputKey: fc.string(),
      },
      { requiredKeys: ["jobEvent", "errorType", "errorMessage"] },
    ),
  );

  it("what the aligner writes, the log processor reads back — also as a whole Powertools line", () => {
    const id = "8f5d2a1c-6b3e-4f7a-9c2d-1e0f3a4b5c6d";
    fc.assert(
      fc.property(eventArb, (event) => {
        expect(readJobEvent(jobEventFields(event))).toEqual(event);
        const level = event.jobEvent === "failed" ? "ERROR" : "INFO";
        const line = JSON.stringify({
          level,
          message: jobEventMessage(event),
          timestamp: "2026-11-24T10:00:00.000Z",
          service: "aligner",
          cold_start: true,
          function_request_id: id,
          sampling_rate: 0,
          ...jobEventFields(event),
        });
        expect(parseLogEvent(line)).toEqual({ kind: "job", requestId: id, event });
      }),
      { numRuns: 500 },
    );
  });
});

describe("MAFFT's stderr", () => {
  it("collapses carriage-return redraws and drops blank lines, however the stream is split", () => {
    const text =
      "outputhat23=16\n    0 / 36\r    1 / 36\r   35 / 36\rtbfast-pair (aa) Version 7.505\n\n\rSTEP     1 /35 \rSTEP    35 /35 \ndone.\n";
    const expected = ["outputhat23=16", "tbfast-pair (aa) Version 7.505", "STEP    35 /35", "done."];
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
        const lines = new StderrLines(500);
        const got: string[] = [];
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const p of [...points, text.length]) {
          got.push(...lines.push(text.slice(from, p)));
          from = p;
        }
        got.push(...lines.flush());
        expect(got).toEqual(expected);
      }),
    );
  });

  it("gives what a plain model gives (lines, last non-blank redraw, cut) for any text split anywhere", () => {
    const model = (text: string, max: number) =>
      text
        .split("\n")
        .map((line) => {
          const shown = ([...line.split("\r")].reverse().find((st) => st.trim() !== "") ?? "").trimEnd();
          return shown.length > max ? `${shown.slice(0, max)}… (${shown.length} characters)` : shown;
        })
        .filter((l) => l !== "");
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "b", " ", "\t", "\r", "\n"), maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (text, max, cuts) => {
          const lines = new StderrLines(max);
          const got: string[] = [];
          let from = 0;
          for (const p of [
            ...[...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b),
            text.length,
          ]) {
            got.push(...lines.push(text.slice(from, p)));
            from = p;
          }
          got.push(...lines.flush());
          expect(got).toEqual(model(text, max));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("holds no more of a line that never ends than it can show", () => {
    const lines = new StderrLines(10);
    for (let i = 0; i < 1000; i++) expect(lines.push("y".repeat(10_000))).toEqual([]);
    // All it holds, serialized: cut states, not the 10 million characters written.
    expect(JSON.stringify(lines).length).toBeLessThan(200);
    expect(lines.push("  \n")).toEqual([`yyyyyyyyyy… (10000000 characters)`]);
    for (let i = 0; i < 1000; i++) lines.push("y".repeat(10_000));
    expect(JSON.stringify(lines).length).toBeLessThan(200);
    expect(lines.push("\r  zz  \r   \n")).toEqual(["  zz"]);
  });

  it("forwards the head, counts the rest, keeps the tail, cuts long lines", () => {
    const forwarded: string[] = [];
    const f = new StderrForwarder((l) => forwarded.push(l), { headLines: 3, tailLines: 2, maxLineChars: 10 });
    f.write("a\nb\nc\nd\ne\n");
    f.write("0123456789abcdef");
    expect(f.end()).toEqual({ skipped: 3, tail: ["e", "0123456789… (16 characters)"] });
    expect(forwarded).toEqual(["a", "b", "c"]);
    expect(DEFAULT_STDERR_POLICY.headLines).toBeGreaterThan(DEFAULT_STDERR_POLICY.tailLines);
  });

  it("turns MAFFT's own complaints about an input into a phrase about the file", () => {
    expect(
      mafftInputComplaint([
        "=== Alphabet 'o' is unknown.",
        "=== Please check site 12 in sequence 1.",
        "Illegal character o",
      ]),
    ).toBe(
      "has 'o' at position 12 of sequence 1, which MAFFT cannot align in this kind of sequence; check the residues, or give --anysymbol to keep unusual symbols",
    );
    expect(mafftInputComplaint(["Illegal character ."])).toMatch(/^has the character '\.'/);
    expect(mafftInputComplaint(["STEP 1", "done."])).toBeUndefined();
  });
});
