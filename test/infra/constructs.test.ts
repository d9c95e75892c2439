/**
 * The project's constructs in the AWS CDK's manner: optional props with their documented
 * defaults, invalid combinations stopped at synth by a sentence naming every prop involved, grants
 * that return what they grant, one TLS-only statement for buckets and queues.
 */
import { describe, expect, it } from "vitest";
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { FAILURE_QUEUE_RETENTION_SECONDS } from "../../core/names.ts";
import { FunctionRole } from "../../infra/function-role.ts";
import { InvalidPropsError } from "../../infra/invalid-props.ts";
import { JobsTable } from "../../infra/jobs-table.ts";
import { SecureBucket, type SecureBucketProps } from "../../infra/secure-bucket.ts";
import { denyInsecureTransport } from "../../infra/tls-only.ts";
import { serviceModel } from "../helpers/botocore.ts";
import { only, synthStack, testApp, type Synthesized } from "../helpers/synth.ts";

function synthWith(build: (stack: TerraformStack) => void): Synthesized {
  const stack = new TerraformStack(testApp(), "constructs");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  build(stack);
  return JSON.parse(Testing.synth(stack)) as Synthesized;
}

const bucket = (props?: SecureBucketProps) => synthWith((s) => new SecureBucket(s, "b", props));
const lifecycleRuleIds = (stack: Synthesized) =>
  (only(stack, "aws_s3_bucket_lifecycle_configuration")[1]["rule"] as { id: string }[]).map((r) => r.id);

describe("SecureBucket", () => {
  it("takes no props at all: not force-destroyed, unversioned, nothing expires but incomplete uploads", () => {
    const stack = bucket();
    expect(only(stack, "aws_s3_bucket")[1]["force_destroy"]).toBe(false);
    expect(stack.resource["aws_s3_bucket_versioning"]).toBeUndefined();
    expect(lifecycleRuleIds(stack)).toEqual(["abort-incomplete-uploads"]);
  });

  it("expires current and old objects as the props say", () => {
    const stack = bucket({ versioned: true, expireAfterDays: 7, noncurrentExpireAfterDays: 3 });
    expect(lifecycleRuleIds(stack)).toEqual(["abort-incomplete-uploads", "expire-objects", "expire-old-versions"]);
  });

  it.each<[SecureBucketProps, string]>([
    [{ noncurrentExpireAfterDays: 30 }, "SecureBucket b: 'noncurrentExpireAfterDays' needs 'versioned: true'"],
    [
      { versioned: false, noncurrentExpireAfterDays: 30 },
      "SecureBucket b: 'noncurrentExpireAfterDays' needs 'versioned: true'",
    ],
    [
      { versioned: true, noncurrentExpireAfterDays: 0 },
      "SecureBucket b: 'noncurrentExpireAfterDays' must be a whole number of days, 1 or more",
    ],
    [{ expireAfterDays: -1 }, "SecureBucket b: 'expireAfterDays' must be a whole number of days, 0 or more"],
    [{ expireAfterDays: 1.5 }, "SecureBucket b: 'expireAfterDays' must be a whole number of days, 0 or more"],
  ])("refuses %j: %s", (props, message) => {
    expect(() => bucket(props)).toThrow(InvalidPropsError);
    expect(() => bucket(props)).toThrow(message);
  });

  it("returns the inline policy each grant adds, holding exactly what it grants", () => {
    let read: unknown;
    let write: unknown;
    const stack = synthWith((s) => {
      const b = new SecureBucket(s, "b");
      const role = new FunctionRole(s, "r", { roleName: "r", accountId: "123456789012" });
      read = b.grantReadObjects(role, "read-b", "jobs/");
      write = b.grantWriteObjects(role, "write-b");
    });
    const policies = stack.resource["aws_iam_role_policy"]!;
    expect(Object.values(policies).map((p) => p["name"])).toEqual(["read-b", "write-b"]);
    expect(read).toBeInstanceOf(IamRolePolicy);
    expect((read as IamRolePolicy).node.id).toBe("read-b");
    expect((write as IamRolePolicy).node.id).toBe("write-b");
    const actionsOf = (grantId: string) => {
      const doc = Object.entries(stack.data["aws_iam_policy_document"]!).find(([name]) => name.includes(grantId));
      if (doc === undefined) throw new Error(`no policy document for ${grantId}`);
      return (doc[1]["statement"] as { actions: string[] }[]).flatMap((s) => s.actions);
    };
    expect(actionsOf("read-b")).toEqual(["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]);
    expect(actionsOf("write-b")).toEqual(["s3:PutObject", "s3:AbortMultipartUpload"]);
  });
});

describe("JobsTable", () => {
  it("is deletion-protected unless told otherwise, and its grant returns its policy", () => {
    let grant: unknown;
    const stack = synthWith((s) => {
      const t = new JobsTable(s, "t", { tableName: "t" });
      grant = t.grantStatusWrites(new FunctionRole(s, "r", { roleName: "r", accountId: "123456789012" }), "status");
    });
    expect(only(stack, "aws_dynamodb_table")[1]["deletion_protection_enabled"]).toBe(true);
    expect(grant).toBeInstanceOf(IamRolePolicy);
    expect((grant as IamRolePolicy).node.id).toBe("status");
  });
});

describe("one TLS-only statement for buckets and queues", () => {
  it("is the statement every bucket policy and queue policy of the stack carries", () => {
    const stack = synthStack();
    const tlsDocs = Object.entries(stack.data["aws_iam_policy_document"]!).filter(([name]) =>
      name.includes("tls-only"),
    );
    // Two buckets and two failure queues.
    expect(tlsDocs).toHaveLength(4);
    for (const [, doc] of tlsDocs) {
      const statement = (doc["statement"] as Record<string, unknown>[])[0]!;
      const service = (statement["actions"] as string[])[0]!.split(":")[0] as "s3" | "sqs";
      const expected = denyInsecureTransport(service, statement["resources"] as string[]);
      expect(statement).toEqual({
        sid: expected.sid,
        effect: expected.effect,
        actions: expected.actions,
        principals: [{ type: "*", identifiers: ["*"] }],
        resources: expected.resources,
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });
    }
    expect(tlsDocs.map(([, d]) => (d["statement"] as { actions: string[] }[])[0]!.actions[0]).sort()).toEqual([
      "s3:*",
      "s3:*",
      "sqs:*",
      "sqs:*",
    ]);
  });
});

describe("failure queues", () => {
  it("keep events SQS's longest retention, read by the stack from the one definition", () => {
    const documented = JSON.stringify(serviceModel("sqs")).match(/to 1,209,600 seconds \(14 days\)/);
    expect(documented).not.toBeNull();
    expect(FAILURE_QUEUE_RETENTION_SECONDS).toBe(1_209_600);
    const queues = Object.values(synthStack().resource["aws_sqs_queue"]!);
    expect(queues.map((q) => q["message_retention_seconds"])).toEqual([
      FAILURE_QUEUE_RETENTION_SECONDS,
      FAILURE_QUEUE_RETENTION_SECONDS,
    ]);
  });
});
