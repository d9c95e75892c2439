import { describe, expect, it } from "vitest";
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy/index.js";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import { checkPosture, type SynthesizedStack, type Violation } from "../../infra/posture.ts";
import { SecureBucket } from "../../infra/secure-bucket.ts";
import { FunctionRole } from "../../infra/function-role.ts";
import { synthStack, testApp } from "../helpers/synth.ts";

/** Synthesizes whatever `build` puts in a fresh stack. */
function synthWith(build: (stack: TerraformStack) => void): SynthesizedStack {
  const stack = new TerraformStack(testApp(), "broken");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  build(stack);
  return JSON.parse(Testing.synth(stack)) as SynthesizedStack;
}

const rules = (violations: Violation[]) => violations.map((v) => v.rule).sort();
const assumeLambda = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
});

describe("security posture", () => {
  it("finds nothing wrong with the real stack", () => {
    expect(checkPosture(synthStack())).toEqual([]);
    expect(checkPosture(synthStack({ ALIGNER_LOG_FORMAT: "JSON", ALIGNER_FORCE_DESTROY: "true" }))).toEqual([]);
  });

  it("passes a SecureBucket", () => {
    const stack = synthWith(
      (s) =>
        new SecureBucket(s, "ok", { bucketPrefix: "ok-", forceDestroy: false, versioned: true, expireAfterDays: 1 }),
    );
    expect(checkPosture(stack)).toEqual([]);
  });

  it("flags a bare bucket on public access, encryption and TLS", () => {
    const stack = synthWith((s) => new S3Bucket(s, "bare", { bucketPrefix: "bare-" }));
    expect(rules(checkPosture(stack))).toEqual(["bucket-encryption", "bucket-public-access", "bucket-tls-only"]);
  });

  it("flags a public-access block that leaves one setting off, and a policy that does not deny plain HTTP", () => {
    const stack = synthWith((s) => {
      const b = new S3Bucket(s, "half", { bucketPrefix: "half-" });
      new S3BucketPublicAccessBlock(s, "pab", {
        bucket: b.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: false,
      });
      new S3BucketPolicy(s, "policy", {
        bucket: b.id,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: "s3:DeleteObject", Principal: "*", Resource: "*" }],
        }),
      });
    });
    const found = rules(checkPosture(stack));
    expect(found).toContain("bucket-public-access");
    expect(found).toContain("bucket-tls-only");
  });

  it("flags a table without point-in-time recovery", () => {
    const stack = synthWith(
      (s) =>
        new DynamodbTable(s, "t", {
          name: "t",
          hashKey: "pk",
          attribute: [{ name: "pk", type: "S" }],
          billingMode: "PAY_PER_REQUEST",
        }),
    );
    expect(rules(checkPosture(stack))).toEqual(["table-pitr"]);
  });

  it("flags a log group kept forever", () => {
    const stack = synthWith((s) => new CloudwatchLogGroup(s, "g", { name: "/aws/lambda/x" }));
    expect(rules(checkPosture(stack))).toEqual(["log-retention"]);
  });

  it("flags an unencrypted queue", () => {
    const stack = synthWith((s) => new SqsQueue(s, "q", { name: "q", sqsManagedSseEnabled: false }));
    expect(rules(checkPosture(stack))).toEqual(["queue-encryption"]);
  });

  it("flags wildcard actions and unjustified wildcard resources, in documents and in literal JSON", () => {
    const stack = synthWith((s) => {
      const role = new FunctionRole(s, "doc-role", { roleName: "r", accountId: "123456789012" });
      role.allow("too-wide", [
        { effect: "Allow", actions: ["s3:*"], resources: ["arn:aws:s3:::b/*"] },
        { effect: "Allow", actions: ["dynamodb:GetItem"], resources: ["*"] },
      ]);
      const raw = new IamRole(s, "raw-role", { name: "raw", assumeRolePolicy: assumeLambda });
      new IamRolePolicy(s, "raw-policy", {
        role: raw.id,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["logs:*"], Resource: "*" }],
        }),
      });
    });
    const found = checkPosture(stack);
    expect(rules(found)).toEqual([
      "iam-wildcard-action",
      "iam-wildcard-action",
      "iam-wildcard-resource",
      "iam-wildcard-resource",
    ]);
    expect(found.map((v) => v.detail)).toContain('allows "s3:*"');
  });

  it("accepts '*' only for actions AWS cannot scope, and wildcards in Deny statements", () => {
    const stack = synthWith((s) => {
      const role = new FunctionRole(s, "tracing", { roleName: "t", accountId: "123456789012" });
      role.allow("xray", [{ effect: "Allow", actions: ["xray:PutTraceSegments"], resources: ["*"] }]);
      role.allow("deny-all-deletes", [{ effect: "Deny", actions: ["s3:Delete*"], resources: ["*"] }]);
    });
    expect(checkPosture(stack)).toEqual([]);
  });

  it("flags a Lambda permission without a source ARN", () => {
    const stack = synthWith(
      (s) =>
        new LambdaPermission(s, "open", {
          action: "lambda:InvokeFunction",
          functionName: "f",
          principal: "s3.amazonaws.com",
        }),
    );
    expect(rules(checkPosture(stack))).toEqual(["permission-source-arn"]);
  });
});
