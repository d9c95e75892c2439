/**
 * Object keys in S3 event notifications are URL-encoded the way HTML forms are: a space is `+`,
 * other special bytes are `%XX` of their UTF-8 (`my seqs/α.fasta` arrives as
 * `my+seqs/%CE%B1.fasta`). Pure.
 *
 * Used by: the aligner (decodes the keys of its events) and the local cloud's S3 notification
 * bridge (s3rver reports raw keys, so the bridge encodes them as S3 does, and the decoding path runs
 * locally too).
 */

export class EventKeyError extends Error {
  override name = "EventKeyError";
}

/** The real key of an event's `s3.object.key`. Throws EventKeyError on a malformed escape. */
export function decodeEventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
  } catch {
    throw new EventKeyError(`the event's object key '${encoded}' is not valid URL encoding`);
  }
}

/**
 * A key as S3 puts it in an event: form encoding with `/` kept. Which other punctuation S3 leaves
 * unescaped does not matter to a decoder; `decodeEventKey(encodeEventKey(k)) === k` for every key.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+").replace(/%2F/g, "/");
}
