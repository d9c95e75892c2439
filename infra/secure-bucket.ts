/**
 * An S3 bucket that is private, encrypted and TLS-only by construction: public access blocked,
 * bucket-owner-enforced ownership, SSE-S3 by default, a policy denying plain HTTP, lifecycle rules
 * for expiry and incomplete uploads, optional versioning. The secure settings are not props: they
 * cannot be turned off.
 */
import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning/index.js";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { InvalidPropsError } from "./invalid-props.ts";
import type { FunctionRole } from "./function-role.ts";
import { denyInsecureTransport } from "./tls-only.ts";

export interface SecureBucketProps {
  /**
   * Start of the bucket's name; Terraform appends a unique id, so names never collide across accounts.
   * @default undefined (Terraform names it `terraform-<id>`)
   */
  bucketPrefix?: string;
  /**
   * Let `terraform destroy` delete the bucket while it still holds objects.
   * @default false
   */
  forceDestroy?: boolean;
  /**
   * Keep every version of every object.
   * @default false
   */
  versioned?: boolean;
  /**
   * Current objects expire this many days after they were written (0 = never).
   * @default 0
   */
  expireAfterDays?: number;
  /**
   * Versions that are no longer current expire after this many days. Needs `versioned: true`.
   * @default undefined (old versions are kept)
   */
  noncurrentExpireAfterDays?: number;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    checkProps(id, props);
    const versioned = props.versioned ?? false;
    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: props.bucketPrefix,
      forceDestroy: props.forceDestroy ?? false,
    });
    const bucket = this.bucket.id;

    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });
    const versioning = versioned
      ? new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } })
      : undefined;

    // Rules on noncurrent versions need versioning in place first (the provider's documented order).
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: lifecycleRules(props),
      dependsOn: versioning === undefined ? undefined : [versioning],
    });

    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [denyInsecureTransport("s3", [this.bucket.arn, `${this.bucket.arn}/*`])],
    });
    // The public-access block must exist before a bucket policy is attached.
    new S3BucketPolicy(this, "policy", { bucket, policy: tlsOnly.json, dependsOn: [publicAccess] });
  }

  get arn(): string {
    return this.bucket.arn;
  }
  get name(): string {
    return this.bucket.bucket;
  }

  /**
   * Lets `role` read objects under `keyPrefix`, and list that prefix, so that a missing key reads
   * as NoSuchKey rather than AccessDenied. Returns the inline policy that grants it.
   */
  grantReadObjects(role: FunctionRole, grantId: string, keyPrefix = ""): IamRolePolicy {
    return role.allow(grantId, [
      // GetObjectVersion: on a versioned bucket the aligner reads the version its event names.
      {
        sid: "ReadObjects",
        effect: "Allow",
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        resources: [`${this.bucket.arn}/${keyPrefix}*`],
      },
      {
        sid: "ListPrefix",
        effect: "Allow",
        actions: ["s3:ListBucket"],
        resources: [this.bucket.arn],
        condition:
          keyPrefix === "" ? undefined : [{ test: "StringLike", variable: "s3:prefix", values: [`${keyPrefix}*`] }],
      },
    ]);
  }

  /** Lets `role` write objects (single and multipart uploads). Returns the inline policy that grants it. */
  grantWriteObjects(role: FunctionRole, grantId: string): IamRolePolicy {
    return role.allow(grantId, [
      {
        sid: "WriteObjects",
        effect: "Allow",
        actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
        resources: [`${this.bucket.arn}/*`],
      },
    ]);
  }
}

function checkProps(id: string, props: SecureBucketProps): void {
  const { expireAfterDays, noncurrentExpireAfterDays } = props;
  if (expireAfterDays !== undefined && !(Number.isInteger(expireAfterDays) && expireAfterDays >= 0))
    throw new InvalidPropsError(`SecureBucket ${id}: 'expireAfterDays' must be a whole number of days, 0 or more`);
  if (noncurrentExpireAfterDays === undefined) return;
  if (!(Number.isInteger(noncurrentExpireAfterDays) && noncurrentExpireAfterDays >= 1))
    throw new InvalidPropsError(
      `SecureBucket ${id}: 'noncurrentExpireAfterDays' must be a whole number of days, 1 or more`,
    );
  if (props.versioned !== true)
    throw new InvalidPropsError(`SecureBucket ${id}: 'noncurrentExpireAfterDays' needs 'versioned: true'`);
}

/** Incomplete uploads always go after a day; current and old objects as the props say. Each rule has a filter (the provider warns without one). */
function lifecycleRules(props: SecureBucketProps): S3BucketLifecycleConfigurationRule[] {
  const everything = [{ prefix: "" }];
  const rules: S3BucketLifecycleConfigurationRule[] = [
    {
      id: "abort-incomplete-uploads",
      status: "Enabled",
      filter: everything,
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
    },
  ];
  const expire = props.expireAfterDays ?? 0;
  if (expire > 0)
    rules.push({ id: "expire-objects", status: "Enabled", filter: everything, expiration: [{ days: expire }] });
  if (props.noncurrentExpireAfterDays !== undefined)
    rules.push({
      id: "expire-old-versions",
      status: "Enabled",
      filter: everything,
      noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentExpireAfterDays }],
    });
  return rules;
}
