import { beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { only, ref, synthStack, testApp, testConfig, type Synthesized } from "../helpers/synth.ts";
import { FUNCTIONS } from "../../core/functions.ts";
import { JOB_RECORD_FIELDS, JOBS_TABLE, keyAttributes } from "../../core/jobs-table.ts";
import { STACK_OUTPUTS } from "../../core/names.ts";
import { policyStatements } from "../../infra/posture.ts";
import { MafftLayerMissingError } from "../../infra/mafft-layer.ts";
import { AlignerStack } from "../../infra/stack.ts";
import { resolveConfig } from "../../core/config.ts";

let stack: Synthesized;
beforeAll(() => {
  stack = synthStack();
});

const statementsOf = (policy: unknown) => policyStatements(stack, policy) ?? [];
const rolePolicies = (roleId: string) =>
  Object.entries(stack.resource["aws_iam_role_policy"] ?? {}).filter(([, b]) => b["role"] === ref(roleId, "id"));

describe("buckets", () => {
  it("creates an input and an output bucket with unique-name prefixes and no force_destroy", () => {
    const buckets = Object.values(stack.resource["aws_s3_bucket"]!);
    expect(buckets.map((b) => b["bucket_prefix"]).sort()).toEqual(["lambda-aligner-input-", "lambda-aligner-output-"]);
    for (const b of buckets) expect(b["force_destroy"]).toBe(false);
  });

  it("versions the input bucket only, and expires old input versions", () => {
    const [inputId] = only(stack, "aws_s3_bucket", "input");
    const [, versioning] = only(stack, "aws_s3_bucket_versioning");
    expect(versioning["bucket"]).toBe(ref(inputId, "id"));
    expect(versioning["versioning_configuration"]).toEqual({ status: "Enabled" });
    const [, lifecycle] = only(stack, "aws_s3_bucket_lifecycle_configuration", "input");
    const rules = lifecycle["rule"] as Record<string, unknown>[];
    expect(rules.find((r) => r["id"] === "expire-old-versions")?.["noncurrent_version_expiration"]).toEqual([
      { noncurrent_days: 30 },
    ]);
  });

  it("expires results after the configured number of days, with a filter on every rule", () => {
    const [, lifecycle] = only(stack, "aws_s3_bucket_lifecycle_configuration", "output");
    const rules = lifecycle["rule"] as Record<string, unknown>[];
    expect(rules.find((r) => r["id"] === "expire-objects")?.["expiration"]).toEqual([{ days: 30 }]);
    for (const r of rules) expect(r["filter"]).toEqual([{ prefix: "" }]);

    const custom = synthStack({ ALIGNER_RESULT_EXPIRY_DAYS: "7", ALIGNER_FORCE_DESTROY: "true" });
    const [, customLifecycle] = only(custom, "aws_s3_bucket_lifecycle_configuration", "output");
    expect(
      (customLifecycle["rule"] as Record<string, unknown>[]).find((r) => r["id"] === "expire-objects")?.["expiration"],
    ).toEqual([{ days: 7 }]);
    for (const b of Object.values(custom.resource["aws_s3_bucket"]!)) expect(b["force_destroy"]).toBe(true);
  });

  it("attaches the bucket policy only after the public-access block", () => {
    const [pabId] = only(stack, "aws_s3_bucket_public_access_block", "input");
    const [, policy] = only(stack, "aws_s3_bucket_policy", "input");
    expect(policy["depends_on"]).toContain(pabId);
  });
});

describe("jobs table", () => {
  it("is on-demand, keyed and indexed from core/jobs-table.ts, with TTL, PITR, the AWS owned key and deletion protection", () => {
    const [, table] = only(stack, "aws_dynamodb_table");
    expect(table["name"]).toBe("lambda-aligner-jobs");
    expect(table["billing_mode"]).toBe("PAY_PER_REQUEST");
    expect(table["hash_key"]).toBe(JOBS_TABLE.partitionKey);
    expect(table["range_key"]).toBe(JOBS_TABLE.sortKey);
    expect((table["attribute"] as { name: string }[]).map((a) => a.name).sort()).toEqual(keyAttributes().sort());
    const gsis = table["global_secondary_index"] as Record<string, unknown>[];
    expect(gsis.map((g) => [g["name"], g["hash_key"], g["range_key"]])).toEqual(
      Object.values(JOBS_TABLE.indexes).map((ix) => [ix.name, ix.partitionKey, ix.sortKey]),
    );
    // The indexes carry the record's fields for the CLI and the live view, never the facts.
    for (const g of gsis) {
      expect(g["projection_type"]).toBe("INCLUDE");
      expect([...(g["non_key_attributes"] as string[])].sort()).toEqual([...JOB_RECORD_FIELDS].sort());
      expect(g["non_key_attributes"]).not.toContain("facts");
    }
    expect(table["ttl"]).toEqual({ attribute_name: JOBS_TABLE.ttlAttribute, enabled: true });
    expect(table["point_in_time_recovery"]).toEqual({ enabled: true });
    expect(table["server_side_encryption"]).toEqual({ enabled: false });
    expect(table["deletion_protection_enabled"]).toBe(true);
    const [, unprotected] = only(synthStack({ ALIGNER_TABLE_DELETION_PROTECTION: "false" }), "aws_dynamodb_table");
    expect(unprotected["deletion_protection_enabled"]).toBe(false);
  });
});

describe("aligner function", () => {
  it("runs the bundled code on nodejs24.x with the MAFFT layer, settings from config, and its env", () => {
    const [, fn] = only(stack, "aws_lambda_function", "aligner");
    const [layerId] = only(stack, "aws_lambda_layer_version");
    expect(fn["function_name"]).toBe("lambda-aligner-aligner");
    expect(fn["runtime"]).toBe("nodejs24.x");
    expect(fn["handler"]).toBe("index.handler");
    expect(fn["filename"]).toMatch(/^assets\/.+\/archive\.zip$/);
    expect(fn["layers"]).toEqual([ref(layerId, "arn")]);
    expect(fn["memory_size"]).toBe(2048);
    expect(fn["timeout"]).toBe(300);
    expect(fn["ephemeral_storage"]).toEqual({ size: 2048 });
    expect(fn["reserved_concurrent_executions"]).toBeUndefined();
    const env = (fn["environment"] as { variables: Record<string, string> }).variables;
    const [outputId] = only(stack, "aws_s3_bucket", "output");
    expect(env["ALIGNER_OUTPUT_BUCKET"]).toBe(ref(outputId, "bucket"));
    expect(env["ALIGNER_MAFFT_ROOT"]).toBe("/opt/mafft");
    expect(env["TMPDIR"]).toBe("/tmp");
  });

  it("takes memory, timeout, storage, concurrency and log format from configuration", () => {
    const custom = synthStack({
      ALIGNER_MEMORY_MB: "3008",
      ALIGNER_TIMEOUT_SECONDS: "900",
      ALIGNER_EPHEMERAL_STORAGE_MB: "10240",
      ALIGNER_RESERVED_CONCURRENCY: "20",
      ALIGNER_LOG_FORMAT: "JSON",
      ALIGNER_MAX_RETRIES: "1",
    });
    const [, fn] = only(custom, "aws_lambda_function", "aligner");
    expect([fn["memory_size"], fn["timeout"], fn["ephemeral_storage"], fn["reserved_concurrent_executions"]]).toEqual([
      3008,
      900,
      { size: 10240 },
      20,
    ]);
    expect(fn["logging_config"]).toMatchObject({
      log_format: "JSON",
      system_log_level: "INFO",
      application_log_level: "INFO",
    });
    const [, invoke] = only(custom, "aws_lambda_function_event_invoke_config", "aligner");
    expect(invoke["maximum_retry_attempts"]).toBe(1);
  });

  it("logs in text by default to its own group, created first with retention", () => {
    const [groupId, group] = only(stack, "aws_cloudwatch_log_group", "aligner");
    const [, fn] = only(stack, "aws_lambda_function", "aligner");
    expect(group["name"]).toBe("/aws/lambda/lambda-aligner-aligner");
    expect(group["retention_in_days"]).toBe(30);
    expect(fn["logging_config"]).toEqual({ log_format: "Text", log_group: ref(groupId, "name") });
    expect(fn["depends_on"]).toContain(groupId);
  });

  it("is triggered by ObjectCreated on the input bucket, after its permission (source ARN and account)", () => {
    const [inputId] = only(stack, "aws_s3_bucket", "input");
    const [fnId] = only(stack, "aws_lambda_function", "aligner");
    const [permId, perm] = only(stack, "aws_lambda_permission", "s3-invoke");
    expect(perm).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "s3.amazonaws.com",
      source_arn: ref(inputId, "arn"),
      function_name: ref(fnId, "function_name"),
    });
    expect(perm["source_account"]).toMatch(/data\.aws_caller_identity/);
    const [, notification] = only(stack, "aws_s3_bucket_notification");
    expect(notification["bucket"]).toBe(ref(inputId, "id"));
    expect(notification["lambda_function"]).toEqual([
      { lambda_function_arn: ref(fnId, "arn"), events: ["s3:ObjectCreated:*"] },
    ]);
    expect(notification["depends_on"]).toContain(permId);
  });

  it("filters the notification by the configured prefix and suffix", () => {
    const [, notification] = only(
      synthStack({ ALIGNER_INPUT_PREFIX: "jobs/", ALIGNER_INPUT_SUFFIX: ".fasta" }),
      "aws_s3_bucket_notification",
    );
    expect(notification["lambda_function"]).toMatchObject([{ filter_prefix: "jobs/", filter_suffix: ".fasta" }]);
  });

  it("retries async failures a bounded number of times, then sends them to an encrypted queue", () => {
    const [fnId] = only(stack, "aws_lambda_function", "aligner");
    const [queueId, queue] = only(stack, "aws_sqs_queue", "aligner");
    const [, invoke] = only(stack, "aws_lambda_function_event_invoke_config", "aligner");
    expect(queue["sqs_managed_sse_enabled"]).toBe(true);
    expect(invoke).toMatchObject({
      function_name: ref(fnId, "function_name"),
      maximum_retry_attempts: 2,
      maximum_event_age_in_seconds: 3600,
      destination_config: { on_failure: { destination: ref(queueId, "arn") } },
    });
  });
});

describe("least-privilege roles", () => {
  it("gives each function its own role", () => {
    const roles = Object.keys(stack.resource["aws_iam_role"]!);
    expect(roles).toHaveLength(2);
    const fnRoles = Object.values(stack.resource["aws_lambda_function"]!).map((f) => f["role"]);
    expect(new Set(fnRoles).size).toBe(2);
  });

  it("lets the aligner read only input objects, write only output objects, its logs and its failure queue", () => {
    const [roleId] = only(stack, "aws_iam_role", "aligner");
    const [inputId] = only(stack, "aws_s3_bucket", "input");
    const [outputId] = only(stack, "aws_s3_bucket", "output");
    const [groupId] = only(stack, "aws_cloudwatch_log_group", "aligner");
    const [queueId] = only(stack, "aws_sqs_queue", "aligner");
    const grants = rolePolicies(roleId).flatMap(([, p]) => statementsOf(p["policy"]));
    const byAction = Object.fromEntries(grants.flatMap((s) => s.actions.map((a) => [a, s.resources])));
    expect(byAction).toEqual({
      "s3:GetObject": [`${ref(inputId, "arn")}/*`],
      "s3:GetObjectVersion": [`${ref(inputId, "arn")}/*`],
      "s3:ListBucket": [ref(inputId, "arn")],
      "s3:PutObject": [`${ref(outputId, "arn")}/*`],
      "s3:AbortMultipartUpload": [`${ref(outputId, "arn")}/*`],
      "logs:CreateLogStream": [`${ref(groupId, "arn")}:*`],
      "logs:PutLogEvents": [`${ref(groupId, "arn")}:*`],
      "sqs:SendMessage": [ref(queueId, "arn")],
    });
  });

  it("lets the log processor only read and update the jobs table, and write its logs", () => {
    const [roleId] = only(stack, "aws_iam_role", "processor");
    const [tableId] = only(stack, "aws_dynamodb_table");
    const grants = rolePolicies(roleId).flatMap(([, p]) => statementsOf(p["policy"]));
    const table = grants.find((s) => s.actions.some((a) => a.startsWith("dynamodb:")));
    expect(table?.actions.sort()).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    expect(table?.resources).toEqual([ref(tableId, "arn")]);
    const services = new Set(grants.flatMap((s) => s.actions.map((a) => a.split(":")[0])));
    expect([...services].sort()).toEqual(["dynamodb", "logs", "sqs"]);
  });

  it("lets only Lambda in this account assume the roles", () => {
    for (const role of Object.values(stack.resource["aws_iam_role"]!)) {
      const [assume] = statementsOf(role["assume_role_policy"]);
      expect(assume?.actions).toEqual(["sts:AssumeRole"]);
      expect(assume?.conditions).toEqual([
        { test: "StringEquals", variable: "aws:SourceAccount", values: [expect.stringMatching(/aws_caller_identity/)] },
      ]);
    }
  });
});

describe("functions built from their descriptions (core/functions.ts)", () => {
  it("give each role its logs, its failure queue and one grant per described permission, nothing else", () => {
    const grantsOf = (roleName: string) => {
      const [roleId] = only(stack, "aws_iam_role", roleName);
      return rolePolicies(roleId)
        .map(([, p]) => p["name"])
        .sort();
    };
    const grantId = { inputBucket: "read-input", outputBucket: "write-output", jobsTable: "record-status" } as const;
    for (const [roleName, id] of [
      ["aligner", "aligner"],
      ["processor", "logProcessor"],
    ] as const) {
      expect(grantsOf(roleName)).toEqual(
        ["send-failures", "write-logs", ...FUNCTIONS[id].permissions.map((p) => grantId[p.resource])].sort(),
      );
    }
  });

  it("give each function the environment and settings its description makes", () => {
    const config = testConfig();
    for (const [name, id] of [
      ["aligner", "aligner"],
      ["processor", "logProcessor"],
    ] as const) {
      const [, fn] = only(stack, "aws_lambda_function", name);
      const variables = (fn["environment"] as { variables: Record<string, string> }).variables;
      expect(Object.keys(variables).sort()).toEqual(
        Object.keys(FUNCTIONS[id].environment(config, { inputBucket: "i", outputBucket: "o", jobsTable: "t" })).sort(),
      );
      expect(variables["POWERTOOLS_SERVICE_NAME"]).toBe(FUNCTIONS[id].serviceName);
      const settings = FUNCTIONS[id].settings(config);
      expect([fn["memory_size"], fn["timeout"]]).toEqual([settings.memoryMb, settings.timeoutSeconds]);
      expect(fn["layers"] === undefined || (fn["layers"] as unknown[]).length === 0).toBe(
        !FUNCTIONS[id].usesMafftLayer,
      );
    }
  });
});

describe("log pipeline", () => {
  it("streams every aligner log event to the processor, after the permission for logs.amazonaws.com", () => {
    const [groupId] = only(stack, "aws_cloudwatch_log_group", "aligner");
    const [procId] = only(stack, "aws_lambda_function", "processor");
    const [permId, perm] = only(stack, "aws_lambda_permission", "logs-invoke");
    expect(perm).toMatchObject({
      principal: "logs.amazonaws.com",
      source_arn: `${ref(groupId, "arn")}:*`,
      function_name: ref(procId, "function_name"),
    });
    expect(perm["source_account"]).toMatch(/aws_caller_identity/);
    const [, filter] = only(stack, "aws_cloudwatch_log_subscription_filter");
    expect(filter).toMatchObject({
      log_group_name: ref(groupId, "name"),
      filter_pattern: "",
      destination_arn: ref(procId, "arn"),
    });
    expect(filter["role_arn"]).toBeUndefined();
    expect(filter["depends_on"]).toContain(permId);
  });

  it("gives the processor its own log group (created first) and the table name", () => {
    const [groupId, group] = only(stack, "aws_cloudwatch_log_group", "processor");
    const [, fn] = only(stack, "aws_lambda_function", "processor");
    const [tableId] = only(stack, "aws_dynamodb_table");
    expect(group["name"]).toBe("/aws/lambda/lambda-aligner-log-processor");
    expect(fn["depends_on"]).toContain(groupId);
    expect((fn["environment"] as { variables: Record<string, string> }).variables["ALIGNER_JOBS_TABLE"]).toBe(
      ref(tableId, "name"),
    );
  });
});

describe("outputs and configuration", () => {
  it("outputs every name the CLI needs", () => {
    expect(Object.keys(stack.output).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    expect(stack.output[STACK_OUTPUTS.alignerFailureQueueUrl]?.value).toMatch(/aws_sqs_queue\..*\.url/);
  });

  it("renames everything from the prefix", () => {
    const renamed = synthStack({ ALIGNER_PREFIX: "msa-prod" });
    expect(only(renamed, "aws_dynamodb_table")[1]["name"]).toBe("msa-prod-jobs");
    expect(only(renamed, "aws_lambda_function", "aligner")[1]["function_name"]).toBe("msa-prod-aligner");
  });

  it("refuses to synthesize without the MAFFT layer, naming the command that builds it", () => {
    const config = resolveConfig({ env: { ALIGNER_MAFFT_LAYER_ZIP: "/nonexistent/mafft-layer.zip" } });
    expect(existsSync(config.mafft.layerZip)).toBe(false);
    expect(() => new AlignerStack(testApp(), "no-layer", config)).toThrow(MafftLayerMissingError);
    expect(() => new AlignerStack(testApp(), "no-layer2", config)).toThrow(/npm run build:layer/);
  });
});
