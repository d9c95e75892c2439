/**
 * Where an alignment goes: its key in the output bucket, derived from the input key. Pure.
 *
 * Used by: the aligner (where it writes) and the CLI (`aligner submit --wait` and `aligner get`
 * know where to fetch the result without asking anyone).
 *
 * The rule: the same folders and name, with the FASTA extension (if any) replaced by
 * `.aligned.fasta`: `runs/opsins.fasta` → `runs/opsins.aligned.fasta`, `a b/x` → `a b/x.aligned.fasta`.
 * The output bucket is not the input bucket, so an output can never trigger another job.
 */

export const OUTPUT_SUFFIX = ".aligned.fasta";

/** Extensions FASTA files commonly carry (compared without regard to case). */
export const FASTA_EXTENSIONS = [
  ".fasta",
  ".fas",
  ".fa",
  ".faa",
  ".fna",
  ".ffn",
  ".frn",
  ".fsa",
  ".mpfa",
  ".seq",
  ".txt",
] as const;

/** S3's limit on a key: 1024 bytes of UTF-8. */
export const MAX_S3_KEY_BYTES = 1024;

export class OutputKeyError extends Error {
  override name = "OutputKeyError";
}

export function outputKeyFor(inputKey: string): string {
  if (inputKey === "" || inputKey.endsWith("/")) throw new OutputKeyError(`'${inputKey}' names a folder, not a file`);
  const slash = inputKey.lastIndexOf("/");
  const base = inputKey.slice(slash + 1);
  const lower = base.toLowerCase();
  const ext = FASTA_EXTENSIONS.find((e) => lower.endsWith(e) && lower.length > e.length);
  const stem = ext === undefined ? inputKey : inputKey.slice(0, inputKey.length - ext.length);
  const key = `${stem}${OUTPUT_SUFFIX}`;
  if (Buffer.byteLength(key, "utf8") > MAX_S3_KEY_BYTES) {
    throw new OutputKeyError(
      `the output key would be longer than S3's ${MAX_S3_KEY_BYTES} bytes; use a shorter input key`,
    );
  }
  return key;
}

/**
 * User metadata of an alignment (S3 `x-amz-meta-<key>`). Values are ASCII: the input key is
 * URI-encoded because S3 metadata cannot carry arbitrary UTF-8.
 */
export const OUTPUT_METADATA = {
  requestId: "request-id",
  mafftVersion: "mafft-version",
  mafftArgs: "mafft-args",
  inputBucket: "input-bucket",
  inputKey: "input-key",
  inputEtag: "input-etag",
  sequences: "sequences",
} as const;

/** S3's limit on an object's user metadata: 2 KB, the UTF-8 bytes of every key and value summed. */
export const MAX_USER_METADATA_BYTES = 2000;

export interface OutputMetadataFields {
  requestId: string;
  mafftVersion: string;
  mafftArgs: string;
  inputBucket: string;
  /** The real key (it is URI-encoded here). */
  inputKey: string;
  /** As S3 returns it, quotes and all. */
  inputEtag: string;
  sequences: number;
}

/** What goes first when the metadata would pass S3's limit: the fields a job can make long. */
const OMITTED_FIRST = [OUTPUT_METADATA.inputKey, OUTPUT_METADATA.mafftArgs] as const;

/** Bytes S3 counts for a set of user metadata. */
export function userMetadataBytes(metadata: Record<string, string>): number {
  return Object.entries(metadata).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8"),
    0,
  );
}

/**
 * The user metadata of an alignment, within S3's 2 KB: a PUT with more is refused however often it
 * is retried. A key URI-encodes to up to three times its bytes (1024), so the input
 * key is left out when it does not fit (the output key is derived from it, and the job's record
 * holds it); `omitted` names what was left out.
 */
export function outputMetadata(f: OutputMetadataFields): { metadata: Record<string, string>; omitted: string[] } {
  const metadata: Record<string, string> = {
    [OUTPUT_METADATA.requestId]: f.requestId,
    [OUTPUT_METADATA.mafftVersion]: f.mafftVersion,
    [OUTPUT_METADATA.mafftArgs]: f.mafftArgs,
    [OUTPUT_METADATA.inputBucket]: f.inputBucket,
    [OUTPUT_METADATA.inputKey]: encodeURIComponent(f.inputKey),
    [OUTPUT_METADATA.inputEtag]: f.inputEtag.replace(/"/g, ""),
    [OUTPUT_METADATA.sequences]: String(f.sequences),
  };
  const omitted: string[] = [];
  for (const name of OMITTED_FIRST) {
    if (userMetadataBytes(metadata) <= MAX_USER_METADATA_BYTES) break;
    delete metadata[name];
    omitted.push(name);
  }
  return { metadata, omitted };
}

/** Content type of an alignment. */
export const OUTPUT_CONTENT_TYPE = "text/x-fasta";
