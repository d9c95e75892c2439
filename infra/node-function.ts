/**
 * One Node.js Lambda function with everything it owns: its log group (created first, with
 * retention), its execution role, its code asset, its async-invocation settings and the queue
 * that keeps events whose retries ran out.
 */
import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config/index.js";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { FunctionSettings } from "../core/config.ts";
import {
  FAILURE_QUEUE_RETENTION_SECONDS,
  FUNCTION_SOURCES,
  LAMBDA_ARCHITECTURE,
  LAMBDA_RUNTIME,
  type FunctionId,
} from "../core/names.ts";
import { bundleFunction } from "./bundle.ts";
import { FunctionRole } from "./function-role.ts";
import { denyInsecureTransport } from "./tls-only.ts";

export interface NodeFunctionProps {
  functionId: FunctionId;
  functionName: string;
  logGroupName: string;
  failureQueueName: string;
  settings: FunctionSettings;
  logRetentionDays: number;
  environment: Record<string, string>;
  /** The account allowed to use the function's role (the confused-deputy condition). */
  accountId: string;
  /**
   * Layer version ARNs, in the order Lambda extracts them into /opt.
   * @default [] (no layers)
   */
  layers?: string[];
  /**
   * Size of /tmp (MB).
   * @default undefined (Lambda's 512 MB)
   */
  ephemeralStorageMb?: number;
  /**
   * Reserved concurrency; 0 stops the function.
   * @default undefined (unreserved: the account's pool)
   */
  reservedConcurrency?: number;
}

export class NodeFunction extends Construct {
  readonly lambda: LambdaFunction;
  readonly role: FunctionRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly failureQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const { settings } = props;

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: props.logGroupName,
      retentionInDays: props.logRetentionDays,
    });

    this.role = new FunctionRole(this, "role", { roleName: props.functionName, accountId: props.accountId });
    const logWrite = this.role.allow("write-logs", [
      {
        sid: "WriteOwnLogs",
        effect: "Allow",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
    ]);

    const bundle = bundleFunction(props.functionId);
    const code = new TerraformAsset(this, "code", { path: bundle.dir, type: AssetType.ARCHIVE });

    const json = settings.logFormat === "JSON";
    this.lambda = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: FUNCTION_SOURCES[props.functionId].handler,
      filename: code.path,
      sourceCodeHash: code.assetHash,
      memorySize: settings.memoryMb,
      timeout: settings.timeoutSeconds,
      layers: props.layers,
      ephemeralStorage: props.ephemeralStorageMb === undefined ? undefined : { size: props.ephemeralStorageMb },
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { variables: props.environment },
      // Levels are only allowed with JSON. System level INFO keeps platform.start and
      // platform.report, which the log processor needs.
      loggingConfig: {
        logFormat: settings.logFormat,
        logGroup: this.logGroup.name,
        applicationLogLevel: json ? "INFO" : undefined,
        systemLogLevel: json ? "INFO" : undefined,
      },
      dependsOn: [this.logGroup, logWrite],
    });

    this.failureQueue = new SqsQueue(this, "failures", {
      name: props.failureQueueName,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: FAILURE_QUEUE_RETENTION_SECONDS,
    });
    const queueTlsOnly = new DataAwsIamPolicyDocument(this, "failures-tls-only", {
      statement: [denyInsecureTransport("sqs", [this.failureQueue.arn])],
    });
    new SqsQueuePolicy(this, "failures-policy", { queueUrl: this.failureQueue.url, policy: queueTlsOnly.json });
    const sendFailures = this.role.allow("send-failures", [
      { sid: "SendFailedEvents", effect: "Allow", actions: ["sqs:SendMessage"], resources: [this.failureQueue.arn] },
    ]);

    // Lambda checks the role can reach the destination when the config is written.
    new LambdaFunctionEventInvokeConfig(this, "async", {
      functionName: this.lambda.functionName,
      maximumRetryAttempts: settings.maxRetries,
      maximumEventAgeInSeconds: settings.maxEventAgeSeconds,
      destinationConfig: { onFailure: { destination: this.failureQueue.arn } },
      dependsOn: [sendFailures],
    });
  }

  get functionName(): string {
    return this.lambda.functionName;
  }
  get arn(): string {
    return this.lambda.arn;
  }
}
