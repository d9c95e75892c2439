/**
 * S3's rules for general purpose bucket names, so that synth refuses a name S3 would refuse at
 * apply time. Pure. The rules are S3's "General purpose bucket naming rules" (user guide).
 */

export const BUCKET_NAME_MIN = 3;
export const BUCKET_NAME_MAX = 63;

/** Starts S3 reserves (`sthree-configurator` is covered by `sthree-`). */
export const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"] as const;

/** Endings S3 reserves for access point aliases, Multi-Region Access Points, directory and table buckets. */
export const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] as const;

/**
 * Terraform's `bucket_prefix` appends a unique id of this many characters (a UTC timestamp to
 * 1/10000 s and an 8-digit hex counter), so a prefix may be at most 63 - 26 = 37 characters.
 */
export const TERRAFORM_UNIQUE_SUFFIX_LENGTH = 26;
/** The longest id Terraform appends, for checking a prefix's full names: it ends in a hex digit. */
export const SAMPLE_UNIQUE_SUFFIX = "2026120312000000000000000a";

/** The rule of S3's this bucket name breaks, as a clause ("must not start with 'xn--' (S3 reserves it)"), or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < BUCKET_NAME_MIN || name.length > BUCKET_NAME_MAX)
    return `must be ${BUCKET_NAME_MIN} to ${BUCKET_NAME_MAX} characters long (this one has ${name.length})`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "may hold only lowercase letters, digits, dots and hyphens";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "must begin and end with a letter or digit";
  if (name.includes("..")) return "must not hold two adjacent dots";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "must not be formatted as an IP address";
  const prefix = RESERVED_BUCKET_PREFIXES.find((p) => name.startsWith(p));
  if (prefix !== undefined) return `must not start with '${prefix}' (S3 reserves it)`;
  const suffix = RESERVED_BUCKET_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix !== undefined) return `must not end with '${suffix}' (S3 reserves it)`;
  return undefined;
}

/** The rule a bucket made from this `bucket_prefix` (Terraform appends its unique id) would break, or undefined. */
export function bucketPrefixProblem(prefix: string): string | undefined {
  return bucketNameProblem(`${prefix}${SAMPLE_UNIQUE_SUFFIX}`);
}
