/**
 * The two kinds of trouble a job can meet, and so whether Lambda retries it.
 *
 * A `JobFailure` is permanent: the input, its arguments or MAFFT's verdict on it will be the same
 * on every retry, so the aligner logs a `failed` job event with a sentence for the user and returns
 * normally (no pointless retries). Anything else — an S3 or network error that outlived the SDK's
 * bounded retries, a missing MAFFT layer — is thrown, so Lambda's async retry (and then the
 * failure queue) keeps the event.
 */
import type { JobErrorType } from "../../core/job-events.ts";

export class JobFailure extends Error {
  override name = "JobFailure";
  constructor(
    readonly errorType: JobErrorType,
    /** One sentence: which file, what is wrong, what to do. */
    message: string,
  ) {
    super(message);
  }
}
