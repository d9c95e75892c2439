/** The whole system as one Terraform stack, assembled from one construct per concern. */
import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import type { AlignerConfig } from "../core/config.ts";
import { resourceNames, STACK_OUTPUTS } from "../core/names.ts";
import { SecureBucket } from "./secure-bucket.ts";
import { JobsTable } from "./jobs-table.ts";
import { Aligner } from "./aligner.ts";
import { LogPipeline } from "./log-pipeline.ts";

export class AlignerStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: AlignerConfig) {
    super(scope, id);
    const names = resourceNames(config);

    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: { Project: "lambda-aligner", Stack: names.stack } }],
    });
    const accountId = new DataAwsCallerIdentity(this, "account").accountId;

    const input = new SecureBucket(this, "input", {
      bucketPrefix: names.inputBucketPrefix,
      forceDestroy: config.forceDestroy,
      versioned: true,
      expireAfterDays: 0,
      noncurrentExpireAfterDays: 30,
    });
    const output = new SecureBucket(this, "output", {
      bucketPrefix: names.outputBucketPrefix,
      forceDestroy: config.forceDestroy,
      versioned: false,
      expireAfterDays: config.resultExpiryDays,
    });
    const table = new JobsTable(this, "jobs", {
      tableName: names.jobsTable,
      deletionProtection: config.tableDeletionProtection,
    });
    const aligner = new Aligner(this, "aligner", { config, names, accountId, input, output });
    const pipeline = new LogPipeline(this, "status", {
      config,
      names,
      accountId,
      table,
      source: aligner.function.logGroup,
    });

    const outputs: Record<keyof typeof STACK_OUTPUTS, string> = {
      region: config.region,
      inputBucket: input.name,
      outputBucket: output.name,
      jobsTable: table.table.name,
      alignerFunction: aligner.function.fn.functionName,
      logProcessorFunction: pipeline.processor.fn.functionName,
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
