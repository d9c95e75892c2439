/**
 * The aligner: a function triggered by objects created in the input bucket, reading only from
 * there and writing only to the output bucket, with MAFFT from its layer.
 */
import { Construct } from "constructs";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification/index.js";
import type { AlignerConfig } from "../core/config.ts";
import { FUNCTIONS } from "../core/functions.ts";
import type { ResourceNames } from "../core/names.ts";
import { describedFunction, type FunctionTargets } from "./described-function.ts";
import type { NodeFunction } from "./node-function.ts";
import { MafftLayer } from "./mafft-layer.ts";

export interface AlignerProps {
  config: AlignerConfig;
  names: ResourceNames;
  accountId: string;
  targets: FunctionTargets;
}

export class Aligner extends Construct {
  readonly function: NodeFunction;

  constructor(scope: Construct, id: string, props: AlignerProps) {
    super(scope, id);
    const { config, names, targets } = props;
    const { input } = targets;
    const layer = new MafftLayer(this, "mafft", { layerName: names.mafftLayer, zipPath: config.mafft.layerZip });
    this.function = describedFunction(this, "function", {
      description: FUNCTIONS.aligner,
      config,
      names,
      accountId: props.accountId,
      targets,
      layers: FUNCTIONS.aligner.usesMafftLayer ? [layer.layer.arn] : [],
    });

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
