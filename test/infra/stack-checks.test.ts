/**
 * A stack AWS accepts, checked at synth: bucket names by S3's rules, every other name and every
 * bound by AWS's own service models (botocore, as the AWS CLI ships it), default MAFFT arguments by
 * the aligner's allow-list, and settings that are each valid but useless together.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  bucketNameProblem,
  RESERVED_BUCKET_PREFIXES,
  RESERVED_BUCKET_SUFFIXES,
  SAMPLE_UNIQUE_SUFFIX,
  TERRAFORM_UNIQUE_SUFFIX_LENGTH,
} from "../../core/bucket-name.ts";
import { ConfigError, LOG_RETENTION_DAYS_ALLOWED, resolveConfig } from "../../core/config.ts";
import { validateMafftArgs } from "../../core/mafft-args.ts";
import { resourceNames } from "../../core/names.ts";
import { checkStackConfig } from "../../core/stack-checks.ts";
import { AlignerStack } from "../../infra/stack.ts";
import { shapeOf, stringShapeProblem } from "../helpers/botocore.ts";
import { only, synthStack, testApp, testConfig } from "../helpers/synth.ts";

/** Prefixes the `prefix` setting accepts on its own (core/config.ts). */
const acceptedPrefix = fc.stringMatching(/^[a-z][a-z0-9-]{2,24}$/);

describe("S3 bucket names", () => {
  it.each([
    ["abc", undefined],
    ["a.b-c.1", undefined],
    ["ab", /3 to 63 characters/],
    ["a".repeat(64), /3 to 63 characters long \(this one has 64\)/],
    ["Abc", /lowercase letters, digits, dots and hyphens/],
    ["ab_c", /lowercase letters/],
    ["-abc", /begin and end with a letter or digit/],
    ["abc.", /begin and end/],
    ["a..b", /two adjacent dots/],
    ["192.168.5.4", /IP address/],
    ["xn--abc", /must not start with 'xn--'/],
    ["sthree-abc", /must not start with 'sthree-'/],
    ["sthree-configurator-x", /must not start with 'sthree-'/],
    ["amzn-s3-demo-abc", /must not start with 'amzn-s3-demo-'/],
    ["abc-s3alias", /must not end with '-s3alias'/],
    ["abc--ol-s3", /must not end with '--ol-s3'/],
    ["abc.mrap", /must not end with '.mrap'/],
    ["abc--x-s3", /must not end with '--x-s3'/],
    ["abc--table-s3", /must not end with '--table-s3'/],
  ])("%s: %s", (name, problem) => {
    if (problem === undefined) expect(bucketNameProblem(name)).toBeUndefined();
    else expect(bucketNameProblem(name)).toMatch(problem);
  });

  it("refuses every name with a reserved start or end, whatever surrounds it", () => {
    const middle = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$/);
    fc.assert(
      fc.property(fc.constantFrom(...RESERVED_BUCKET_PREFIXES), middle, (reserved, rest) => {
        expect(bucketNameProblem(`${reserved}${rest}`)).toContain(`'${reserved}'`);
      }),
    );
    fc.assert(
      fc.property(middle, fc.constantFrom(...RESERVED_BUCKET_SUFFIXES), (rest, reserved) => {
        expect(bucketNameProblem(`${rest}${reserved}`)).toContain(`'${reserved}'`);
      }),
    );
  });

  it("the sample unique id is as long as Terraform's and ends as one does (a hex digit)", () => {
    expect(SAMPLE_UNIQUE_SUFFIX).toHaveLength(TERRAFORM_UNIQUE_SUFFIX_LENGTH);
    expect(SAMPLE_UNIQUE_SUFFIX).toMatch(/^\d{18}[0-9a-f]{8}$/);
  });
});

describe("the prefix at synth", () => {
  it.each(["xn--abc", "sthree-abc", "amzn-s3-demo-x"])("stops synth for %s with one sentence", (prefix) => {
    expect(() => synthStack({ ALIGNER_PREFIX: prefix })).toThrow(ConfigError);
    let message = "";
    try {
      synthStack({ ALIGNER_PREFIX: prefix });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(
      new RegExp(`^ALIGNER_PREFIX='${prefix}' would name the input bucket '${prefix}-input-\\w{26}', but an S3 bucket`),
    );
    expect(message).toMatch(/; choose another prefix\.$/);
    expect(message).not.toContain("\n");
  });

  it("accepts exactly the prefixes whose every bucket name S3 allows", () => {
    fc.assert(
      fc.property(acceptedPrefix, (prefix) => {
        const config = resolveConfig({ env: { ALIGNER_PREFIX: prefix } });
        const reserved = RESERVED_BUCKET_PREFIXES.some((r) => prefix.startsWith(r));
        expect(checkStackConfig(config).problems.length > 0).toBe(reserved);
      }),
    );
  });

  it("makes only names AWS's service models allow (Lambda, IAM, DynamoDB, CloudWatch Logs, SQS)", () => {
    const lambdaName = shapeOf("lambda", "FunctionName");
    const checks = (names: ReturnType<typeof resourceNames>) => [
      // "If you specify only the function name, it is limited to 64 characters" (the model's own words).
      ...Object.values(names.functions).map((n) => stringShapeProblem(lambdaName, n, 64)),
      // Each role is named after its function.
      ...Object.values(names.functions).map((n) => stringShapeProblem(shapeOf("iam", "roleNameType"), n)),
      stringShapeProblem(shapeOf("lambda", "LayerName"), names.mafftLayer),
      stringShapeProblem(shapeOf("dynamodb", "TableName"), names.jobsTable),
      ...Object.values(names.logGroups).map((n) => stringShapeProblem(shapeOf("logs", "LogGroupName"), n)),
      stringShapeProblem(shapeOf("logs", "FilterName"), names.subscriptionFilter),
      // CreateQueue's QueueName is a plain String; its documentation gives the limits.
      ...Object.values(names.failureQueues).map((n) =>
        stringShapeProblem({ type: "string", min: 1, max: 80, pattern: "[A-Za-z0-9_-]+" }, n),
      ),
    ];
    expect(shapeOf("sqs", "CreateQueueRequest").members?.["QueueName"]?.documentation).toMatch(
      /up to 80 characters.*alphanumeric characters, hyphens \(<code>-<\/code>\), and underscores/,
    );
    fc.assert(
      fc.property(acceptedPrefix, (prefix) => {
        expect(checks(resourceNames({ prefix })).filter((p) => p !== undefined)).toEqual([]);
      }),
    );
  });

  it("names every inline policy and Lambda permission as IAM and Lambda allow", () => {
    const stack = synthStack();
    const policyNames = Object.values(stack.resource["aws_iam_role_policy"]!).map((p) => String(p["name"]));
    const statementIds = Object.values(stack.resource["aws_lambda_permission"]!).map((p) => String(p["statement_id"]));
    expect(policyNames.length).toBeGreaterThan(0);
    for (const n of policyNames) expect(stringShapeProblem(shapeOf("iam", "policyNameType"), n)).toBeUndefined();
    for (const n of statementIds) expect(stringShapeProblem(shapeOf("lambda", "StatementId"), n)).toBeUndefined();
  });
});

describe("settings within AWS's bounds (from the service models)", () => {
  const bounds = (service: string, shape: string) => {
    const s = shapeOf(service, shape);
    return { min: s.min, max: s.max };
  };
  const accepts = (env: string, value: number) => {
    try {
      resolveConfig({ env: { [env]: String(value) } });
      return true;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      expect(e.message).toContain(env);
      return false;
    }
  };

  it.each([
    ["ALIGNER_MEMORY_MB", "lambda", "MemorySize"],
    ["ALIGNER_PROCESSOR_MEMORY_MB", "lambda", "MemorySize"],
    ["ALIGNER_EPHEMERAL_STORAGE_MB", "lambda", "EphemeralStorageSize"],
    ["ALIGNER_MAX_RETRIES", "lambda", "MaximumRetryAttempts"],
    ["ALIGNER_PROCESSOR_MAX_RETRIES", "lambda", "MaximumRetryAttempts"],
    ["ALIGNER_MAX_EVENT_AGE_SECONDS", "lambda", "MaximumEventAgeInSeconds"],
    ["ALIGNER_PROCESSOR_MAX_EVENT_AGE_SECONDS", "lambda", "MaximumEventAgeInSeconds"],
  ])("%s takes exactly %s's %s range", (env, service, shape) => {
    const { min, max } = bounds(service, shape);
    expect([accepts(env, min! - 1), accepts(env, min!), accepts(env, max!), accepts(env, max! + 1)]).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it.each([["ALIGNER_TIMEOUT_SECONDS"], ["ALIGNER_PROCESSOR_TIMEOUT_SECONDS"]])(
    "%s takes 1 to 900 s (the model's minimum; 900 s is Lambda's documented maximum)",
    (env) => {
      expect(bounds("lambda", "Timeout").min).toBe(1);
      expect([accepts(env, 0), accepts(env, 1), accepts(env, 900), accepts(env, 901)]).toEqual([
        false,
        true,
        true,
        false,
      ]);
    },
  );

  it("reserved concurrency starts at the model's minimum, 0", () => {
    expect(bounds("lambda", "ReservedConcurrentExecutions").min).toBe(0);
    expect([accepts("ALIGNER_RESERVED_CONCURRENCY", -1), accepts("ALIGNER_RESERVED_CONCURRENCY", 0)]).toEqual([
      false,
      true,
    ]);
  });

  it("log retention takes CloudWatch Logs' values only", () => {
    const documented = /Possible values are: ([\d, and]+)\./.exec(shapeOf("logs", "Days").documentation ?? "")?.[1];
    const model = (documented ?? "").split(/,\s*(?:and\s+)?|\s+and\s+/).map(Number);
    expect(model.length).toBeGreaterThan(15);
    // 1096 days came after the model in Debian's awscli 2.9; the current API reference lists it.
    expect([...LOG_RETENTION_DAYS_ALLOWED].filter((d) => !model.includes(d))).toEqual(
      model.includes(1096) ? [] : [1096],
    );
    expect(model.filter((d) => !(LOG_RETENTION_DAYS_ALLOWED as readonly number[]).includes(d))).toEqual([]);
    for (const d of LOG_RETENTION_DAYS_ALLOWED) expect(accepts("ALIGNER_LOG_RETENTION_DAYS", d)).toBe(true);
    for (const d of [0, 2, 4, 1095, 3654]) expect(accepts("ALIGNER_LOG_RETENTION_DAYS", d)).toBe(false);
  });
});

describe("default MAFFT arguments", () => {
  const tokens = fc.array(
    fc.constantFrom("--auto", "--op", "1.5", ".5", "--add", "x", "--maxiterate", "1000", "--thread", "-1", "--quiet"),
    { minLength: 1, maxLength: 6 },
  );

  it("are refused at configuration exactly when the aligner's allow-list refuses them", () => {
    fc.assert(
      fc.property(tokens, (args) => {
        const verdict = validateMafftArgs(args);
        const env = { ALIGNER_MAFFT_ARGS: args.join(" ") };
        if (verdict.ok) expect(resolveConfig({ env }).mafft.defaultArgs).toEqual(verdict.args);
        else
          expect(() => resolveConfig({ env })).toThrow(
            `ALIGNER_MAFFT_ARGS must be MAFFT arguments the aligner allows: ${verdict.reason}`,
          );
      }),
    );
  });

  it("stop synth with the allow-list's reason", () => {
    expect(() => synthStack({ ALIGNER_MAFFT_ARGS: "--add x" })).toThrow(
      /^ALIGNER_MAFFT_ARGS must be MAFFT arguments the aligner allows: '--add' is not allowed: it reads another file/,
    );
  });
});

describe("settings valid alone, useless together", () => {
  it("stops synth when MAFFT's kill margin is not less than the aligner's timeout", () => {
    const message =
      "ALIGNER_MAFFT_KILL_MARGIN_MS=10000 is not less than ALIGNER_TIMEOUT_SECONDS=10 (10000 ms), so MAFFT would never get time to run; lower the margin or raise the timeout.";
    expect(() => synthStack({ ALIGNER_TIMEOUT_SECONDS: "10" })).toThrow(message);
    expect(() => synthStack({ ALIGNER_TIMEOUT_SECONDS: "11" })).not.toThrow();
  });

  it("warns in one line, and still synthesizes, when reserved concurrency is 0", () => {
    const warnings = (env: Record<string, string>) =>
      new AlignerStack(testApp(), "warned", testConfig(env)).node.metadata
        .filter((m) => m.type === "@cdktf/warn")
        .map((m) => String(m.data));
    const [warning, ...more] = warnings({ ALIGNER_RESERVED_CONCURRENCY: "0" });
    expect(more).toEqual([]);
    expect(warning).toMatch(/^ALIGNER_RESERVED_CONCURRENCY=0: the aligner will not run; /);
    expect(warning).not.toContain("\n");
    expect(warnings({})).toEqual([]);
    expect(warnings({ ALIGNER_RESERVED_CONCURRENCY: "1" })).toEqual([]);
    const [, fn] = only(synthStack({ ALIGNER_RESERVED_CONCURRENCY: "0" }), "aws_lambda_function", "aligner");
    expect(fn["reserved_concurrent_executions"]).toBe(0);
  });
});

describe("the jobs table's key", () => {
  const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

  it("is DynamoDB's AWS owned key by default, with no KMS grant to anyone", () => {
    const stack = synthStack();
    expect(only(stack, "aws_dynamodb_table")[1]["server_side_encryption"]).toEqual({ enabled: false });
    expect(JSON.stringify(stack.data)).not.toContain("kms:");
  });

  it("is a customer managed key when one is set, which the processor may use through DynamoDB only", () => {
    const stack = synthStack({ ALIGNER_TABLE_KMS_KEY_ARN: key });
    expect(only(stack, "aws_dynamodb_table")[1]["server_side_encryption"]).toEqual({ enabled: true, kms_key_arn: key });
    const statements = Object.values(stack.data["aws_iam_policy_document"]!).flatMap(
      (d) => d["statement"] as Record<string, unknown>[],
    );
    const kms = statements.filter((s) => (s["actions"] as string[]).some((a) => a.startsWith("kms:")));
    expect(kms).toHaveLength(1);
    expect(kms[0]).toMatchObject({
      resources: [key],
      condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["dynamodb.us-east-1.amazonaws.com"] }],
    });
  });

  it("must be a key ARN in the table's region", () => {
    expect(() => resolveConfig({ env: { ALIGNER_TABLE_KMS_KEY_ARN: "alias/mine" } })).toThrow(
      /ALIGNER_TABLE_KMS_KEY_ARN must be a KMS key ARN/,
    );
    expect(() => synthStack({ ALIGNER_TABLE_KMS_KEY_ARN: key, ALIGNER_REGION: "eu-west-1" })).toThrow(
      "ALIGNER_TABLE_KMS_KEY_ARN names a key in us-east-1, but the jobs table is in eu-west-1 (ALIGNER_REGION); DynamoDB needs a key in the table's region.",
    );
  });
});

describe("Terraform state", () => {
  it("stays in the local backend unless a state bucket is set", () => {
    expect((synthStack() as { terraform?: { backend?: unknown } }).terraform?.backend).toBeUndefined();
  });

  it("goes to S3, encrypted and locked by S3's lock file, when a state bucket is set", () => {
    const stack = synthStack({ ALIGNER_STATE_BUCKET: "team-state" }) as { terraform?: { backend?: unknown } };
    expect(stack.terraform?.backend).toEqual({
      s3: {
        bucket: "team-state",
        key: "lambda-aligner/terraform.tfstate",
        region: "us-east-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it("locks with DynamoDB instead when a lock table is set, under the key given", () => {
    const stack = synthStack({
      ALIGNER_STATE_BUCKET: "team-state",
      ALIGNER_STATE_KEY: "msa/prod.tfstate",
      ALIGNER_STATE_LOCK_TABLE: "terraform-locks",
    }) as { terraform?: { backend?: { s3?: Record<string, unknown> } } };
    expect(stack.terraform?.backend?.s3).toMatchObject({ key: "msa/prod.tfstate", dynamodb_table: "terraform-locks" });
    expect(stack.terraform?.backend?.s3?.["use_lockfile"]).toBeUndefined();
  });

  it("refuses a state bucket S3 would refuse", () => {
    expect(() => synthStack({ ALIGNER_STATE_BUCKET: "Team_State" })).toThrow(
      "ALIGNER_STATE_BUCKET='Team_State' cannot be an S3 bucket: a bucket name may hold only lowercase letters, digits, dots and hyphens.",
    );
  });
});

describe("replacement order", () => {
  it("expires old input versions only once versioning is on", () => {
    const stack = synthStack();
    const [versioningId] = only(stack, "aws_s3_bucket_versioning");
    const [, lifecycle] = only(stack, "aws_s3_bucket_lifecycle_configuration", "input");
    expect(lifecycle["depends_on"]).toEqual([versioningId]);
    expect(only(stack, "aws_s3_bucket_lifecycle_configuration", "output")[1]["depends_on"]).toBeUndefined();
  });

  it("creates a new MAFFT layer version before deleting the old one", () => {
    const [, layer] = only(synthStack(), "aws_lambda_layer_version");
    expect(layer["lifecycle"]).toEqual({ create_before_destroy: true });
  });
});
