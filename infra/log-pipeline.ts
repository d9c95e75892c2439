/**
 * The status pipeline: the aligner's log group streams every event to the log processor,
 * which records per-request status in the jobs table.
 */
import { Construct } from "constructs";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { CloudwatchLogSubscriptionFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-subscription-filter/index.js";
import type { AlignerConfig } from "../core/config.ts";
import { FUNCTIONS } from "../core/functions.ts";
import type { ResourceNames } from "../core/names.ts";
import { describedFunction, type FunctionTargets } from "./described-function.ts";
import type { NodeFunction } from "./node-function.ts";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";

export interface LogPipelineProps {
  config: AlignerConfig;
  names: ResourceNames;
  accountId: string;
  targets: FunctionTargets;
  /** The log group whose streams are parsed (the aligner's). */
  source: CloudwatchLogGroup;
}

export class LogPipeline extends Construct {
  readonly processor: NodeFunction;

  constructor(scope: Construct, id: string, props: LogPipelineProps) {
    super(scope, id);
    const { config, names, targets, source } = props;
    this.processor = describedFunction(this, "processor", {
      description: FUNCTIONS.logProcessor,
      config,
      names,
      accountId: props.accountId,
      targets,
    });

    const invokeFromLogs = new LambdaPermission(this, "logs-invoke", {
      statementId: "AllowAlignerLogsInvoke",
      action: "lambda:InvokeFunction",
      functionName: this.processor.functionName,
      principal: "logs.amazonaws.com",
      sourceArn: `${source.arn}:*`,
      sourceAccount: props.accountId,
    });

    // An empty pattern sends every event: the processor needs all lines of a stream.
    new CloudwatchLogSubscriptionFilter(this, "subscription", {
      name: names.subscriptionFilter,
      logGroupName: source.name,
      filterPattern: "",
      destinationArn: this.processor.arn,
      dependsOn: [invokeFromLogs],
    });
  }
}
