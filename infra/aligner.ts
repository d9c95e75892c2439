/**
 * The aligner: a function triggered by objects created in the input bucket, reading only from
 * there and writing only to the output bucket, with MAFFT from its layer.
 */
import { Construct } from "constructs";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification/index.js";
import type { AlignerConfig } from "../core/config.ts";
import type { ResourceNames } from "../core/names.ts";
import { alignerEnvironment } from "../core/function-env.ts";
import { NodeFunction } from "./node-function.ts";
import { MafftLayer } from "./mafft-layer.ts";
import type { SecureBucket } from "./secure-bucket.ts";

export interface AlignerProps {
  config: AlignerConfig;
  names: ResourceNames;
  accountId: string;
  input: SecureBucket;
  output: SecureBucket;
}

export class Aligner extends Construct {
  readonly function: NodeFunction;

  constructor(scope: Construct, id: string, props: AlignerProps) {
    super(scope, id);
    const { config, names, input, output } = props;
    const layer = new MafftLayer(this, "mafft", { layerName: names.mafftLayer, zipPath: config.mafft.layerZip });

    this.function = new NodeFunction(this, "function", {
      functionId: "aligner",
      functionName: names.functions.aligner,
      logGroupName: names.logGroups.aligner,
      failureQueueName: names.failureQueues.aligner,
      settings: config.aligner,
      logRetentionDays: config.logRetentionDays,
      accountId: props.accountId,
      layers: [layer.layer.arn],
      ephemeralStorageMb: config.aligner.ephemeralStorageMb,
      reservedConcurrency: config.aligner.reservedConcurrency,
      environment: alignerEnvironment(config, { inputBucket: input.name, outputBucket: output.name }),
    });
    input.grantReadObjects(this.function.role, "read-input", config.input.prefix);
    output.grantWriteObjects(this.function.role, "write-output");

    const invokeFromS3 = new LambdaPermission(this, "s3-invoke", {
      statementId: "AllowInputBucketInvoke",
      action: "lambda:InvokeFunction",
      functionName: this.function.functionName,
      principal: "s3.amazonaws.com",
      sourceArn: input.arn,
      sourceAccount: props.accountId,
    });

    // S3 checks that it may invoke the function when the notification is saved.
    new S3BucketNotification(this, "notification", {
      bucket: input.bucket.id,
      lambdaFunction: [
        {
          lambdaFunctionArn: this.function.arn,
          events: ["s3:ObjectCreated:*"],
          filterPrefix: config.input.prefix === "" ? undefined : config.input.prefix,
          filterSuffix: config.input.suffix === "" ? undefined : config.input.suffix,
        },
      ],
      dependsOn: [invokeFromS3],
    });
  }
}
