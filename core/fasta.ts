/**
 * FASTA validation, one pass over the bytes as they stream in. Pure: no I/O.
 *
 * Used by: the aligner (checks its input while downloading it, and MAFFT's output before uploading
 * it); the CLI can run the same check before uploading (`validateFasta`).
 *
 * Why this exists: MAFFT exits 0 on an empty file, on prose, on one sequence, and silently drops
 * symbols it does not know (measured with MAFFT 7.505), so its exit code proves nothing. The rules:
 * - UTF-8 text (headers may hold any UTF-8; sequences are ASCII), LF or CRLF line ends;
 * - a `>` header with a name starts each record; blank lines are ignored;
 * - sequences hold letters and `-` gaps (MAFFT removes input gaps and realigns), spaces and tabs
 *   are ignored; with `symbols: "printable"` (MAFFT's --anysymbol) any printable ASCII counts;
 * - every record has at least one residue; names (the header up to the first blank) are unique,
 *   because downstream tools identify sequences by them;
 * - at least `minRecords` records.
 * Each problem is a phrase meant to follow the file's name: `<key> <reason>.`
 */

export interface FastaOptions {
  /** "letters": A–Z, a–z (the default); "printable": any printable ASCII (MAFFT --anysymbol). */
  symbols?: "letters" | "printable";
  /** Refuse two records with the same name (default true). */
  uniqueNames?: boolean;
  /** Fewest records accepted (default 2: MAFFT aligns at least two). */
  minRecords?: number;
}

export interface FastaSummary {
  records: number;
  /** Residues (symbols other than gaps and blanks) in all records. */
  residues: number;
  /** Residues per record, in file order. */
  lengths: number[];
  /** Record names (header up to the first blank), in file order. */
  names: string[];
  /** Longest record (residues). */
  maxLength: number;
}

export type FastaResult = { ok: true; summary: FastaSummary } | { ok: false; reason: string };

/** Longest header line accepted (MAFFT itself keeps only the first ~250 characters of a name). */
export const MAX_HEADER_BYTES = 10_000;

/** Bytes that show the encoding (byte-order marks, UTF-16/32 zeros). */
const PREFIX_BYTES = 4;
const EMPTY = new Uint8Array(0);

const NL = 0x0a;
const CR = 0x0d;
const GT = 0x3e;

// Byte classes of sequence lines.
const ILLEGAL = 0;
const RESIDUE = 1;
const GAP = 2;
const BLANK = 3;

function classTable(symbols: "letters" | "printable"): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0x21; b <= 0x7e; b++) {
    const letter = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
    if (letter || symbols === "printable") t[b] = RESIDUE;
  }
  t[0x2d] = GAP; // '-'
  t[0x20] = BLANK;
  t[0x09] = BLANK;
  t[CR] = BLANK;
  return t;
}
const TABLES = { letters: classTable("letters"), printable: classTable("printable") };

/** How a byte reads in a message: the character itself when printable, else its hex code. */
function describeByte(b: number): string {
  if (b >= 0x21 && b <= 0x7e) return `'${String.fromCharCode(b)}'`;
  if (b === 0x20) return "a space";
  return `byte 0x${b.toString(16).padStart(2, "0")}`;
}

/** A name as a message shows it: quoted, shortened. */
export function quoteName(name: string): string {
  const short = name.length > 40 ? `${name.slice(0, 39)}…` : name;
  return `'${short}'`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Incremental scanner: `push` chunks in order, then `finish`. Stops at the first problem (later
 * pushes are ignored), so a large bad upload is rejected without reading it all.
 */
export class FastaScanner {
  private readonly table: Uint8Array;
  private readonly uniqueNames: boolean;
  private readonly minRecords: number;
  private readonly printable: boolean;

  private problem: string | undefined;
  private bytes = 0;
  /** The first bytes, while fewer than PREFIX_BYTES have come. */
  private held = EMPTY;
  private line = 1;
  private column = 0;
  private atLineStart = true;
  private mode: "preamble" | "header" | "sequence" = "preamble";
  private preambleSample: number[] = [];
  private header: number[] = [];
  private headerLine = 0;
  private headerTooLong = false;
  private currentName = "";
  private currentLength = 0;
  private readonly lengths: number[] = [];
  private readonly names: string[] = [];
  private readonly seen = new Map<string, number>();
  private residues = 0;

  constructor(opts: FastaOptions = {}) {
    const symbols = opts.symbols ?? "letters";
    this.table = TABLES[symbols];
    this.printable = symbols === "printable";
    this.uniqueNames = opts.uniqueNames ?? true;
    this.minRecords = opts.minRecords ?? 2;
  }

  /** The first problem found so far, if any. */
  get failed(): string | undefined {
    return this.problem;
  }

  push(chunk: Uint8Array): void {
    if (this.problem !== undefined) return;
    // The encoding shows in the first four bytes: they are read together however the upload is
    // cut, so that UTF-16/32 read a byte at a time is still named as such, not as "binary".
    if (this.bytes === 0) {
      const held = this.held;
      if (held.length > 0) {
        const joined = new Uint8Array(held.length + chunk.length);
        joined.set(held);
        joined.set(chunk, held.length);
        chunk = joined;
      }
      if (chunk.length < PREFIX_BYTES) {
        this.held = chunk.slice();
        return;
      }
      this.held = EMPTY;
    }
    this.scan(chunk);
  }

  private scan(chunk: Uint8Array): void {
    if (this.bytes === 0) this.checkPrefix(chunk.subarray(0, PREFIX_BYTES));
    this.bytes += chunk.length;
    const table = this.table;
    for (let i = 0; i < chunk.length; i++) {
      if (this.problem !== undefined) return;
      const b = chunk[i]!;
      if (b === NL) {
        if (this.mode === "header") this.endHeader();
        else if (this.mode === "preamble" && this.preambleSample.length > 0) return this.notFasta();
        this.line++;
        this.column = 0;
        this.atLineStart = true;
        continue;
      }
      this.column++;
      if (b === 0)
        return this.fail(
          `is binary, not FASTA text (it holds a NUL byte at line ${this.line}); upload the sequences as a UTF-8 text file`,
        );
      if (this.atLineStart) {
        this.atLineStart = false;
        if (b === GT) {
          this.startRecord();
          continue;
        }
      }
      if (this.mode === "sequence") {
        const cls = table[b]!;
        if (cls === RESIDUE) {
          this.currentLength++;
          continue;
        }
        if (cls !== ILLEGAL) continue;
        return this.illegal(b);
      }
      if (this.mode === "header") {
        if (b < 0x20 && b !== 0x09 && b !== CR) {
          return this.fail(
            `has a control character (${describeByte(b)}) in the header at line ${this.line}; headers must be plain text`,
          );
        }
        if (this.header.length < MAX_HEADER_BYTES) this.header.push(b);
        else this.headerTooLong = true;
        continue;
      }
      // Preamble: only blank lines may come before the first header.
      const blank = b === 0x20 || b === 0x09 || b === CR;
      if (blank && this.preambleSample.length === 0) continue;
      if (this.preambleSample.length < 30) this.preambleSample.push(b);
    }
  }

  finish(): FastaResult {
    if (this.held.length > 0) this.scan(this.held);
    this.held = EMPTY;
    if (this.problem === undefined) {
      if (this.mode === "header") this.endHeader();
      if (this.mode === "preamble" && this.preambleSample.length > 0) this.notFasta();
    }
    if (this.problem === undefined) this.endRecord();
    if (this.problem === undefined) {
      const n = this.lengths.length;
      if (n === 0) {
        this.fail(
          this.bytes === 0
            ? "is empty; upload a FASTA file with at least two sequences"
            : "holds only blank lines; upload a FASTA file with at least two sequences",
        );
      } else if (n < this.minRecords) {
        this.fail(
          `holds only ${n === 1 ? `one sequence (${quoteName(this.names[0]!)})` : `${n} sequences`}; MAFFT needs at least ${this.minRecords} to align`,
        );
      }
    }
    if (this.problem !== undefined) return { ok: false, reason: this.problem };
    return {
      ok: true,
      summary: {
        records: this.lengths.length,
        residues: this.residues,
        lengths: this.lengths,
        names: this.names,
        maxLength: this.lengths.reduce((m, l) => Math.max(l, m), 0),
      },
    };
  }

  private fail(reason: string): void {
    this.problem ??= reason;
  }

  /** UTF-16/32 and byte-order marks show in the first bytes (all of them, or the whole file if shorter). */
  private checkPrefix(prefix: Uint8Array): void {
    const [a, b, c] = prefix;
    if (
      (a === 0xff && b === 0xfe) ||
      (a === 0xfe && b === 0xff) ||
      (prefix.length >= 2 && (a === 0 || b === 0) && prefix.some((x) => x !== 0))
    ) {
      this.fail("is UTF-16 (or UTF-32) text; save it as UTF-8 plain text and upload it again");
    } else if (a === 0xef && b === 0xbb && c === 0xbf) {
      this.fail(
        "starts with a UTF-8 byte-order mark; save it as UTF-8 without BOM so that the first line starts with '>'",
      );
    }
  }

  private notFasta(): void {
    const sample = this.preambleSample.every((x) => x >= 0x20 && x <= 0x7e)
      ? ` but it starts with "${String.fromCharCode(...this.preambleSample)}${this.preambleSample.length >= 30 ? "…" : ""}"`
      : "";
    const looksBinary = this.preambleSample.some((x) => x < 0x09 || (x > 0x0d && x < 0x20) || x === 0x7f);
    if (looksBinary) return this.fail("is binary, not FASTA text; upload the sequences as a UTF-8 text file");
    this.fail(`is not FASTA: line ${this.line} should start with '>' and a sequence name${sample}`);
  }

  private startRecord(): void {
    this.endRecord();
    this.mode = "header";
    this.header.length = 0;
    this.headerTooLong = false;
    this.headerLine = this.line;
  }

  private endHeader(): void {
    this.mode = "sequence";
    const record = this.lengths.length + 1;
    if (this.headerTooLong)
      return this.fail(`has a header longer than ${MAX_HEADER_BYTES} bytes at line ${this.headerLine}`);
    let text: string;
    try {
      text = utf8.decode(Uint8Array.from(this.header));
    } catch {
      return this.fail(`has a header that is not UTF-8 text at line ${this.headerLine}; save the file as UTF-8`);
    }
    const name = text.trim().split(/\s/)[0] ?? "";
    if (name === "")
      return this.fail(
        `has a record without a name at line ${this.headerLine} (record ${record}); write a name after '>'`,
      );
    if (this.uniqueNames) {
      const earlier = this.seen.get(name);
      if (earlier !== undefined) {
        return this.fail(
          `names two records ${quoteName(name)} (records ${earlier} and ${record}); give every sequence a unique name (the text after '>' up to the first space)`,
        );
      }
      this.seen.set(name, record);
    }
    this.currentName = name;
    this.currentLength = 0;
    this.names.push(name);
  }

  private endRecord(): void {
    if (this.mode !== "sequence") return;
    if (this.currentLength === 0) {
      return this.fail(
        `has no sequence in record ${this.lengths.length + 1} (${quoteName(this.currentName)}, line ${this.headerLine}); every record needs at least one residue`,
      );
    }
    this.lengths.push(this.currentLength);
    this.residues += this.currentLength;
  }

  private illegal(b: number): void {
    const record = this.lengths.length + 1;
    const allowed = this.printable
      ? "printable ASCII symbols"
      : "letters and '-' gaps (MAFFT's --anysymbol keeps other symbols)";
    const what = b >= 0x80 ? "a non-ASCII character" : describeByte(b);
    this.fail(
      `has ${what} at line ${this.line}, column ${this.column}, in record ${record} (${quoteName(this.currentName)}); sequences may hold only ${allowed}`,
    );
  }
}

/** Validates a whole FASTA text at once. */
export function validateFasta(bytes: Uint8Array | string, opts: FastaOptions = {}): FastaResult {
  const scanner = new FastaScanner(opts);
  scanner.push(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
  return scanner.finish();
}

/**
 * Does MAFFT's output hold the input's sequences? Same number of records, and the same number of
 * residues in each (MAFFT keeps the input order unless --reorder), so a symbol MAFFT dropped or a
 * truncated output shows. Names are not compared: MAFFT shortens long ones.
 */
export function compareAlignment(input: FastaSummary, output: FastaSummary, reordered: boolean): string | undefined {
  if (output.records !== input.records) {
    return `MAFFT returned ${output.records} sequence${output.records === 1 ? "" : "s"} for ${input.records}`;
  }
  const a = reordered ? [...input.lengths].sort((x, y) => x - y) : input.lengths;
  const b = reordered ? [...output.lengths].sort((x, y) => x - y) : output.lengths;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const which = reordered ? "a sequence" : `record ${i + 1} (${quoteName(input.names[i]!)})`;
      return `MAFFT returned ${which} with ${b[i]} residues instead of ${a[i]}`;
    }
  }
  return undefined;
}
