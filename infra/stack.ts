/** The whole system as one Terraform stack, assembled from one construct per concern. */
import type { Construct } from "constructs";
import { Annotations, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { ConfigError, type AlignerConfig } from "../core/config.ts";
import { resourceNames, STACK_OUTPUTS, stateKey } from "../core/names.ts";
import { checkStackConfig } from "../core/stack-checks.ts";
import { SecureBucket } from "./secure-bucket.ts";
import { JobsTable } from "./jobs-table.ts";
import { Aligner } from "./aligner.ts";
import { LogPipeline } from "./log-pipeline.ts";

export class AlignerStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: AlignerConfig) {
    super(scope, id);
    const check = checkStackConfig(config);
    if (check.problems.length > 0) throw new ConfigError(check.problems.join("\n"));
    for (const warning of check.warnings) Annotations.of(this).addWarning(warning);
    const names = resourceNames(config);
    if (config.state.bucket !== "") keepStateInS3(this, config);

    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: { Project: "lambda-aligner", Stack: names.stack } }],
    });
    const accountId = new DataAwsCallerIdentity(this, "account").accountId;

    const input = new SecureBucket(this, "input", {
      bucketPrefix: names.inputBucketPrefix,
      forceDestroy: config.forceDestroy,
      versioned: true,
      noncurrentExpireAfterDays: 30,
    });
    const output = new SecureBucket(this, "output", {
      bucketPrefix: names.outputBucketPrefix,
      forceDestroy: config.forceDestroy,
      expireAfterDays: config.resultExpiryDays,
    });
    const table = new JobsTable(this, "jobs", {
      tableName: names.jobsTable,
      deletionProtection: config.tableDeletionProtection,
      kmsKeyArn: config.tableKmsKeyArn === "" ? undefined : config.tableKmsKeyArn,
    });
    const targets = { input, output, table };
    const aligner = new Aligner(this, "aligner", { config, names, accountId, targets });
    const pipeline = new LogPipeline(this, "status", {
      config,
      names,
      accountId,
      targets,
      source: aligner.function.logGroup,
    });

    const outputs: Record<keyof typeof STACK_OUTPUTS, string> = {
      region: config.region,
      inputBucket: input.name,
      outputBucket: output.name,
      jobsTable: table.name,
      alignerFunction: aligner.function.functionName,
      logProcessorFunction: pipeline.processor.functionName,
      alignerLogGroup: aligner.function.logGroup.name,
      logProcessorLogGroup: pipeline.processor.logGroup.name,
      alignerFailureQueueUrl: aligner.function.failureQueue.url,
      logProcessorFailureQueueUrl: pipeline.processor.failureQueue.url,
    };
    for (const [key, value] of Object.entries(outputs)) {
      new TerraformOutput(this, STACK_OUTPUTS[key as keyof typeof STACK_OUTPUTS], { value });
    }
  }
}

/**
 * Terraform state in S3, for a team: encrypted, locked by S3's own lock file (Terraform 1.10 or
 * later) or, when a lock table is named, by DynamoDB (older Terraform).
 */
function keepStateInS3(stack: TerraformStack, config: AlignerConfig): void {
  const backend = new S3Backend(stack, {
    bucket: config.state.bucket,
    key: stateKey(config),
    region: config.region,
    encrypt: true,
    dynamodbTable: config.state.lockTable === "" ? undefined : config.state.lockTable,
  });
  // cdktf 0.21's S3Backend predates `use_lockfile`; it is a plain backend argument.
  if (config.state.lockTable === "") backend.addOverride("use_lockfile", true);
}
