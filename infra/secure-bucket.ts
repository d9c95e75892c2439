/**
 * An S3 bucket that is private, encrypted and TLS-only by construction: public access blocked,
 * bucket-owner-enforced ownership, SSE-S3 by default, a policy denying plain HTTP, lifecycle rules
 * for expiry and incomplete uploads, optional versioning.
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
import type { FunctionRole } from "./function-role.ts";

export interface SecureBucketProps {
  /** S3 appends a unique suffix, so names never collide across accounts. */
  bucketPrefix: string;
  forceDestroy: boolean;
  versioned: boolean;
  /** Current objects expire after this many days (0 = never). */
  expireAfterDays: number;
  /** Old versions expire after this many days (versioned buckets). */
  noncurrentExpireAfterDays?: number;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, "bucket", { bucketPrefix: props.bucketPrefix, forceDestroy: props.forceDestroy });
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
    const versioning = props.versioned
      ? new S3BucketVersioningA(this, "versioning", { bucket, versioningConfiguration: { status: "Enabled" } })
      : undefined;

    const rules: S3BucketLifecycleConfigurationRule[] = [
      {
        id: "abort-incomplete-uploads",
        status: "Enabled",
        filter: [{ prefix: "" }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
      },
    ];
    if (props.expireAfterDays > 0) {
      rules.push({
        id: "expire-objects",
        status: "Enabled",
        filter: [{ prefix: "" }],
        expiration: [{ days: props.expireAfterDays }],
      });
    }
    if (props.versioned && props.noncurrentExpireAfterDays !== undefined) {
      rules.push({
        id: "expire-old-versions",
        status: "Enabled",
        filter: [{ prefix: "" }],
        noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentExpireAfterDays }],
      });
    }
    // Rules on noncurrent versions need versioning in place first (the provider's documented order).
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: rules,
      dependsOn: versioning === undefined ? undefined : [versioning],
    });

    // Deny any request over plain HTTP. A deny must cover every action, hence `s3:*` here (and
    // only in Deny statements: grants below list their actions one by one).
    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          actions: ["s3:*"],
          principals: [{ type: "*", identifiers: ["*"] }],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
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

  /** Read objects under `keyPrefix` (and list that prefix, so a missing key reads as NoSuchKey, not AccessDenied). */
  grantReadObjects(role: FunctionRole, grantId: string, keyPrefix = ""): void {
    role.allow(grantId, [
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

  /** Write objects (single and multipart uploads). */
  grantWriteObjects(role: FunctionRole, grantId: string): void {
    role.allow(grantId, [
      {
        sid: "WriteObjects",
        effect: "Allow",
        actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
        resources: [`${this.bucket.arn}/*`],
      },
    ]);
  }
}
